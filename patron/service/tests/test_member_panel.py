"""The member panel beside a ticket: recent orders with their parcels and
latest scan, open return and exchange requests with their lines, in a fixed
number of queries however many orders, parcels, scans and requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order, OrderLine
from patron.orders.shipments import CheckpointInput, shipment_record
from patron.service.desk_selectors import OPEN_RETURNS, RECENT_ORDERS, member_panel
from patron.service.models import ReturnLine, ReturnRequest

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
# measured (tier card, points, coupons, orders + lines, parcels + scans, returns + lines,
# past tickets); a query per order, parcel or request would add dozens in the "many" case
PANEL_QUERIES = 13


def _order(member: Member, external_id: str, placed: dt.datetime) -> Order:
    order = Order.objects.create(
        shop=member.shop,
        member=member,
        external_id=external_id,
        status="shipped",
        paid_amount=10000,
        placed_at=placed,
        updated_at=placed,
    )
    OrderLine.objects.create(
        order=order,
        line_id="1",
        sku=f"SKU-{external_id}",
        name=f"杯-{external_id}",
        quantity=1,
        unit_price=10000,
    )
    return order


def _parcel(order: Order, number: str, scans: int) -> None:
    shipment_record(
        order=order,
        carrier="顺丰",
        tracking_number=number,
        checkpoints=[
            CheckpointInput(
                at=order.placed_at + (i + 1) * HOUR, description=f"scan {i}", location="上海"
            )
            for i in range(scans)
        ],
        at=order.placed_at,
    )


def _request(order: Order, state: str, kind: str = "return") -> ReturnRequest:
    now = clock.now()
    request = ReturnRequest.objects.create(
        shop=order.shop,
        order=order,
        member=order.member,
        kind=kind,
        reason="size",
        state=state,
        created_at=now,
        updated_at=now,
    )
    ReturnLine.objects.create(request=request, line=order.lines.get(), quantity=1)
    return request


def test_orders_show_their_parcels_and_latest_scan_and_open_requests_their_lines(
    shop: Shop, member: Member
) -> None:
    now = clock.now()
    older = _order(member, "SO-1", now - 50 * HOUR)
    newer = _order(member, "SO-2", now - 10 * HOUR)
    _parcel(older, "SF1", scans=3)
    _parcel(older, "SF2", scans=0)
    asked = _request(older, "approved", kind="exchange")
    refused = _request(newer, "refused")
    _request(newer, "closed")

    panel = member_panel(member=member, language="zh-hans", exclude_ticket=None)

    assert [o.external_id for o in panel["orders"]] == ["SO-2", "SO-1"]
    assert panel["orders"][0].parcels == []
    first, second = panel["orders"][1].parcels
    assert (first["carrier"], first["tracking_number"]) == ("顺丰", "SF1")
    # the latest scan is the newest, the timeline reads newest first
    assert first["latest"] == {"at": now - 47 * HOUR, "location": "上海", "description": "scan 2"}
    assert [c["description"] for c in first["checkpoints"]] == ["scan 2", "scan 1", "scan 0"]
    assert (second["tracking_number"], second["latest"]) == ("SF2", None)
    # open means not closed yet: a refused request still waits to be closed
    assert [r.pk for r in panel["returns"]] == [refused.pk, asked.pk]
    assert [(rl.line.sku, rl.quantity) for rl in panel["returns"][1].lines.all()] == [
        ("SKU-SO-1", 1)
    ]
    # tickets carry no rating: the panel invents none
    assert panel["satisfaction"] is None


def test_another_members_requests_are_not_shown(shop: Shop, member: Member) -> None:
    other = Member.objects.create(
        shop=shop,
        external_id="m2",
        name="韩梅梅",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    _request(_order(other, "SO-9", clock.now()), "requested")
    assert member_panel(member=member, language="zh-hans", exclude_ticket=None)["returns"] == []


@pytest.mark.parametrize("many", [False, True])
def test_the_panel_costs_the_same_queries_however_much_it_shows(
    shop: Shop, member: Member, django_assert_num_queries: Any, many: bool
) -> None:
    orders = RECENT_ORDERS + 2 if many else 1
    for i in range(orders):
        order = _order(member, f"SO-{i}", clock.now() - (i + 1) * HOUR)
        for p in range(3 if many else 1):
            _parcel(order, f"SF{i}-{p}", scans=4 if many else 1)
        for _ in range(2 if many else 1):
            _request(order, "requested")
    with django_assert_num_queries(PANEL_QUERIES):
        panel = member_panel(member=member, language="zh-hans", exclude_ticket=None)
        # reading what the template reads costs nothing more
        for o in panel["orders"]:
            [line.name for line in o.lines.all()]
            [p["latest"] for p in o.parcels]
        for r in panel["returns"]:
            r.order.external_id, [rl.line.name for rl in r.lines.all()]
    assert len(panel["orders"]) == min(orders, RECENT_ORDERS)
    assert len(panel["returns"]) == min(orders * (2 if many else 1), OPEN_RETURNS)
