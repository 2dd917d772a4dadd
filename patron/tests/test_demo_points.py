"""seed-demo's points history records each order line's share, so refunding a
seeded order through the API reverses exactly what the live path would."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F, Sum

from patron.core import clock
from patron.demo.data import demo_seed
from patron.events import services as event_services
from patron.orders.models import Order, OrderStatus
from patron.points.models import LineEarning, PointsLot
from patron.points.selectors import ledger_mismatches

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_seeded_lots_carry_line_shares_and_a_refund_reverses_them_exactly() -> None:
    clock.freeze(NOW)
    demo_seed(members=60, orders=400, seed=7)
    # Every seeded order lot equals its lines' unreversed shares
    lots = PointsLot.objects.filter(order__isnull=False)
    assert lots.exists()
    for lot in lots:
        shares = LineEarning.objects.filter(lot=lot).aggregate(
            left=Sum(F("points") - F("reversed_points"))
        )["left"]
        assert shares == lot.points, lot.order_id
    # A still-pending seeded order with two lines or more: refund one unit of its
    # first line through the intake
    order = next(
        o
        for o in Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.SHIPPED])
        .order_by("pk")
        .prefetch_related("lines")
        if o.lines.count() >= 2 and PointsLot.objects.filter(order=o).exists()
    )
    line = order.lines.order_by("pk").first()
    assert line is not None
    share = LineEarning.objects.get(line=line)
    expected = share.points * 1 // line.quantity
    lot = PointsLot.objects.get(order=order)
    result = event_services.event_ingest(
        shop=order.shop,
        raw={
            "id": "demo-refund-1",
            "type": "order.refunded",
            "member": order.member.external_id,
            "occurred_at": clock.now().isoformat(),
            "data": {
                "order_id": order.external_id,
                "refund_id": "RF-DEMO-1",
                "lines": [{"line_id": line.line_id, "quantity": 1}],
            },
        },
    ).result
    reversed_points = [e["points"] for e in result["effects"] if e["type"] == "points.reversed"]
    assert reversed_points == ([-expected] if expected else [])
    lot.refresh_from_db()
    assert lot.remaining == lot.points - expected
    assert ledger_mismatches() == []
