"""Logistics: ``order.shipped`` and ``shipment.updated`` carry carrier,
tracking number and checkpoints; they are stored once each and read as a
timeline; bad checkpoints are refused naming the field."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events import services as event_services
from patron.events.tests.factories import paid_data
from patron.members.models import Member
from patron.orders.models import Order, Shipment, ShipmentCheckpoint
from patron.orders.shipments import order_tracking

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
_ids = itertools.count(1)


def send(shop: Shop, type_: str, data: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
    raw = {
        "id": f"log-{next(_ids)}",
        "type": type_,
        "member": "M1",
        "occurred_at": at.isoformat(),
        "data": data,
    }
    return event_services.event_ingest(shop=shop, raw=raw).result


@pytest.fixture
def order(shop: Shop) -> Order:
    clock.freeze(T0 + dt.timedelta(days=3))
    Member.objects.create(
        shop=shop, external_id="M1", registered_at=T0, created_at=T0, updated_at=T0
    )
    send(shop, "order.paid", paid_data("O1"), T0)
    return Order.objects.get(external_id="O1")


def scan(hours: int, description: str, location: str = "") -> dict[str, Any]:
    return {
        "at": (T0 + dt.timedelta(hours=hours)).isoformat(),
        "location": location,
        "description": description,
    }


def test_shipped_and_updated_build_the_tracking_timeline(shop, order):
    send(
        shop,
        "order.shipped",
        {
            "order_id": "O1",
            "carrier": "顺丰",
            "tracking_number": "SF100",
            "checkpoints": [scan(1, "已揽收", "杭州")],
        },
        T0 + dt.timedelta(hours=1),
    )
    result = send(
        shop,
        "shipment.updated",
        {
            "order_id": "O1",
            "tracking_number": "SF100",
            "checkpoints": [scan(1, "已揽收", "杭州"), scan(9, "到达转运中心", "上海")],
        },
        T0 + dt.timedelta(hours=9),
    )
    assert {
        "type": "shipment.updated",
        "order_id": "O1",
        "tracking_number": "SF100",
        "checkpoints": 2,
    } in result["effects"]
    order.refresh_from_db()
    assert order.status == "shipped"  # an update moves no status
    tracking = order_tracking(order)
    assert len(tracking) == 1
    assert (tracking[0]["carrier"], tracking[0]["tracking_number"]) == ("顺丰", "SF100")
    assert [(c["description"], c["location"]) for c in tracking[0]["checkpoints"]] == [
        ("到达转运中心", "上海"),
        ("已揽收", "杭州"),
    ]  # newest first, the repeated scan kept once


def test_a_second_parcel_is_its_own_shipment(shop, order):
    send(shop, "order.shipped", {"order_id": "O1", "carrier": "EMS", "tracking_number": "E1"}, T0)
    send(
        shop,
        "shipment.updated",
        {
            "order_id": "O1",
            "carrier": "EMS",
            "tracking_number": "E2",
            "checkpoints": [scan(2, "已揽收")],
        },
        T0 + dt.timedelta(hours=2),
    )
    assert [t["tracking_number"] for t in order_tracking(order)] == ["E1", "E2"]


def test_shipped_without_tracking_stores_no_parcel(shop, order):
    send(shop, "order.shipped", {"order_id": "O1"}, T0)
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"order_id": "O1", "tracking_number": "S", "checkpoints": []}, "data.checkpoints"),
        ({"order_id": "O1", "checkpoints": [scan(1, "x")]}, "data.tracking_number"),
        (
            {
                "order_id": "O1",
                "tracking_number": "S",
                "checkpoints": [{"at": "yesterday", "description": "x"}],
            },
            "data.checkpoints[0].at",
        ),
        (
            {
                "order_id": "O1",
                "tracking_number": "S",
                "checkpoints": [{"at": T0.isoformat(), "description": ""}],
            },
            "data.checkpoints[0].description",
        ),
        (
            {"order_id": "O404", "tracking_number": "S", "checkpoints": [scan(1, "x")]},
            "data.order_id",
        ),
    ],
)
def test_a_bad_update_names_the_field_and_stores_nothing(shop, order, data, field):
    with pytest.raises(PatronError) as refused:
        send(shop, "shipment.updated", data, T0)
    assert refused.value.field == field
    assert (Shipment.objects.count(), ShipmentCheckpoint.objects.count()) == (0, 0)
