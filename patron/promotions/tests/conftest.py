from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction

from patron.core import clock
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.promotions import services
from patron.promotions.engine import CartLine
from patron.promotions.models import Coupon, CouponSource, CouponTemplate

T0 = dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
_seq = itertools.count(1)


@pytest.fixture
def t0() -> dt.datetime:
    clock.freeze(T0)
    return T0


def make_member(shop: Shop, external_id: str | None = None) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop,
        external_id=external_id or f"M{next(_seq)}",
        registered_at=now,
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def member(shop: Shop, t0: dt.datetime) -> Member:
    return make_member(shop, "M1")


def make_template(shop: Shop, **fields: Any) -> CouponTemplate:
    n = next(_seq)
    defaults: dict[str, Any] = {
        "code": f"t{n}",
        "name": f"Coupon {n}",
        "type": "fixed",
        "amount": 1000,
        "per_member_limit": 0,
        "created_at": clock.now(),
    }
    defaults.update(fields)
    if defaults["type"] == "free_shipping" and "stacking_group" not in fields:
        defaults["stacking_group"] = "shipping"
    return CouponTemplate.objects.create(shop=shop, **defaults)


def issue(template: CouponTemplate, member: Member) -> Coupon:
    return services.coupon_issue(template=template, member=member, source=CouponSource.OPERATOR)


def give_points(member: Member, points: int, expires_at: dt.datetime | None = None) -> None:
    from patron.points.models import EntryKind
    from patron.points.services import ledger

    with transaction.atomic():
        account = ledger.account_lock(member=member)
        ledger.do_credit(
            account,
            points=points,
            kind=EntryKind.ADJUST,
            refs=ledger.Refs(reason_code="test_grant"),
            expires_at=expires_at,
        )


def available_points(member: Member) -> int:
    from patron.points.models import PointsAccount

    return PointsAccount.objects.get(member=member).available


def line(
    line_id: str, unit_price: int, quantity: int = 1, sku: str = "", category: str = ""
) -> CartLine:
    return CartLine(
        line_id=line_id,
        sku=sku or f"SKU-{line_id}",
        category=category,
        quantity=quantity,
        unit_price=unit_price,
    )


class Sender:
    """Send events through the intake, as the shop would."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def __call__(self, type_: str, member: str, data: dict[str, Any]) -> dict[str, Any]:
        raw = {
            "id": f"ev{next(_seq)}",
            "type": type_,
            "member": member,
            "occurred_at": clock.now().isoformat(),
            "data": data,
        }
        return event_services.event_ingest(shop=self.shop, raw=raw).result


@pytest.fixture
def send(shop: Shop) -> Sender:
    return Sender(shop)


@pytest.fixture
def shop_pg(db: Any) -> Shop:
    """A shop for tests with real parallel connections (transaction=True)."""
    return Shop.objects.create(name="Race shop")
