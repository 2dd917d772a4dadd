"""The member's orders page: the tracking timeline of each parcel, and a
change asked before shipment (refused after)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.tests.conftest import Sender
from patron.service.models import OrderChangeRequest
from patron.service.tests.returns_helpers import earning, paid_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return paid_order(shop, member)


def test_the_member_asks_a_change_before_shipment(member_client, member, order):
    page = member_client.get("/orders/").content.decode()
    assert 'action="/orders/O1/change/"' in page
    member_client.post("/orders/O1/change/", {"kind": "address", "value": "北京市朝阳区"})
    change = OrderChangeRequest.objects.get()
    assert (change.member, change.kind, change.value) == (member, "address", "北京市朝阳区")
    assert "北京市朝阳区" in member_client.get("/orders/").content.decode()
    member_client.post("/orders/O1/change/", {"kind": "address", "value": ""})
    assert OrderChangeRequest.objects.count() == 1  # refused: no new value


def test_after_shipment_the_tracking_shows_and_no_change_is_offered(
    member_client, shop, member, order
):
    at = clock.now() - dt.timedelta(hours=5)
    Sender(shop)(
        "order.shipped",
        member.external_id,
        {
            "order_id": "O1",
            "carrier": "顺丰",
            "tracking_number": "SF42",
            "checkpoints": [
                {"at": at.isoformat(), "location": "深圳", "description": "已揽收"},
            ],
        },
        at=at,
    )
    page = member_client.get("/orders/").content.decode()
    assert 'data-testid="tracking-SF42"' in page and "已揽收" in page and "深圳" in page
    assert 'action="/orders/O1/change/"' not in page
    member_client.post("/orders/O1/change/", {"kind": "cancel"})
    assert OrderChangeRequest.objects.count() == 0


def test_another_members_order_is_not_found(member_client, shop, order):
    other = Member.objects.create(
        shop=shop,
        external_id="M9",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    paid_order(shop, other, order_id="O9")
    assert member_client.post("/orders/O9/change/", {"kind": "cancel"}).status_code == 404
    assert "O9" not in member_client.get("/orders/").content.decode()
