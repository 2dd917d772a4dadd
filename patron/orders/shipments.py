"""Logistics: the parcels of an order and their scans (物流轨迹), written
from ``order.shipped`` and ``shipment.updated`` in the event's transaction,
read as one timeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from patron.core import clock
from patron.orders.models import Order, Shipment, ShipmentCheckpoint


@dataclass(frozen=True)
class CheckpointInput:
    at: dt.datetime
    description: str
    location: str = ""


def shipment_record(
    *,
    order: Order,
    carrier: str,
    tracking_number: str,
    checkpoints: Sequence[CheckpointInput],
    at: dt.datetime,
) -> Shipment:
    """The parcel ``tracking_number`` of ``order`` (made on first sight) with
    ``checkpoints`` added; a scan sent twice is kept once, and a carrier
    named later fills in an empty one. The caller holds the order's lock."""
    now = clock.now()
    shipment, created = Shipment.objects.get_or_create(
        order=order,
        tracking_number=tracking_number,
        defaults={"carrier": carrier, "shipped_at": at, "updated_at": now},
    )
    if not created:
        shipment.updated_at = now
        if carrier and not shipment.carrier:
            shipment.carrier = carrier
        shipment.save(update_fields=["updated_at", "carrier"])
    known = set(
        ShipmentCheckpoint.objects.filter(shipment=shipment).values_list("at", "description")
    )
    new = []
    for c in checkpoints:
        if (c.at, c.description) in known:
            continue
        known.add((c.at, c.description))
        new.append(
            ShipmentCheckpoint(
                shipment=shipment, at=c.at, location=c.location, description=c.description
            )
        )
    ShipmentCheckpoint.objects.bulk_create(new)
    return shipment


def orders_tracking(orders: Sequence[Order]) -> dict[int, list[dict[str, Any]]]:
    """Each order's parcels (by order id), first shipped first, each with its
    scans newest first (how a tracking timeline reads). Two queries however
    many orders: a page of orders reads its tracking without one per row."""
    found: dict[int, list[dict[str, Any]]] = {o.pk: [] for o in orders}
    if not found:
        return found
    shipments = (
        Shipment.objects.filter(order_id__in=list(found))
        .order_by("shipped_at", "pk")
        .prefetch_related(
            Prefetch("checkpoints", queryset=ShipmentCheckpoint.objects.order_by("-at", "-pk"))
        )
    )
    for s in shipments:
        found[s.order_id].append(
            {
                "carrier": s.carrier,
                "tracking_number": s.tracking_number,
                "shipped_at": s.shipped_at,
                "checkpoints": [
                    {"at": c.at, "location": c.location, "description": c.description}
                    for c in s.checkpoints.all()
                ],
            }
        )
    return found


def order_tracking(order: Order) -> list[dict[str, Any]]:
    """The order's parcels, first shipped first, each with its scans newest
    first."""
    return orders_tracking([order])[order.pk]
