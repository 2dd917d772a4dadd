from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.models import CouponTemplate
from patron.tiers.models import MemberTier, Tier, TierProgram
from patron.tiers.services.definitions import tiers_seed_defaults

SH = dt.timezone(dt.timedelta(hours=8))
_ids = itertools.count(1)


def move_to(day: dt.date, hour: int = 9) -> None:
    clock.freeze(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH))


@pytest.fixture
def program(shop: Shop) -> TierProgram:
    move_to(dt.date(2026, 3, 1))
    return tiers_seed_defaults(shop=shop)


def make_member(shop: Shop, tier_code: str = "", **fields: Any) -> Member:
    now = clock.now()
    member = Member.objects.create(
        shop=shop,
        external_id=f"C{next(_ids)}",
        registered_at=now,
        created_at=now,
        updated_at=now,
        **fields,
    )
    if tier_code:
        MemberTier.objects.create(
            member=member,
            shop=shop,
            tier=Tier.objects.get(shop=shop, code=tier_code),
            since=now,
            updated_at=now,
        )
    return member


def make_template(shop: Shop, code: str, **fields: Any) -> CouponTemplate:
    defaults: dict[str, Any] = {
        "name": code,
        "type": "fixed",
        "amount": 1000,
        "per_member_limit": 1,
        "created_at": clock.now(),
    }
    return CouponTemplate.objects.create(shop=shop, code=code, **{**defaults, **fields})
