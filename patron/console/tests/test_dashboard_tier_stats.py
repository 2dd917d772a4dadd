from __future__ import annotations

import datetime as dt

import pytest

from patron.console.dashboard import _months, tier_order_stats
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order, OrderStatus
from patron.tiers.models import MemberTier, Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def _member(shop: Shop, n: int, tier: Tier | None = None) -> Member:
    member = Member.objects.create(
        shop=shop,
        external_id=f"M{n}",
        name=f"会员{n}",
        phone=f"+861380000{n:04d}",
        registered_at=NOW - dt.timedelta(days=400),
        created_at=NOW - dt.timedelta(days=400),
        updated_at=NOW - dt.timedelta(days=400),
    )
    if tier is not None:
        MemberTier.objects.create(
            member=member, shop=shop, tier=tier, since=NOW - dt.timedelta(days=100), updated_at=NOW
        )
    return member


def _order(member: Member, n: int, paid: int, days_ago: int = 10) -> None:
    at = NOW - dt.timedelta(days=days_ago)
    Order.objects.create(
        shop=member.shop,
        member=member,
        external_id=f"SO{n}",
        status=OrderStatus.COMPLETED,
        items_amount=paid,
        paid_amount=paid,
        placed_at=at,
        paid_at=at,
        updated_at=at,
    )


def test_members_without_a_tier_row_count_in_the_entry_tier(shop: Shop) -> None:
    # given the default tiers; two Normal members never evaluated (no MemberTier row),
    # one evaluated into Normal, one in Gold; and an order from before the 12-month window
    clock.freeze(NOW)
    tiers_seed_defaults(shop=shop)
    tier = {t.code: t for t in Tier.objects.filter(shop=shop)}
    never_a, never_b = _member(shop, 1), _member(shop, 2)
    normal, gold = _member(shop, 3, tier["normal"]), _member(shop, 4, tier["gold"])
    _order(never_a, 1, 10000)
    _order(never_a, 2, 20001)
    _order(never_a, 3, 99900, days_ago=500)  # outside the window
    _order(normal, 4, 6000)
    _order(gold, 5, 50000)
    _order(gold, 6, 30000)
    assert never_b.orders.count() == 0
    # when
    stats = tier_order_stats(_months(), shop.pk)
    # then Normal has 3 members and 3 orders: (10000 + 20001 + 6000) / 3 = 12000.33 -> 12000
    got = [(s["members"], s["orders"], s["aov"], s["frequency_x100"]) for s in stats]
    assert got == [
        (3, 3, 12000, 100),  # normal
        (0, 0, 0, 0),  # silver
        (1, 2, 40000, 200),  # gold
        (0, 0, 0, 0),  # diamond
    ]


def test_cancelled_orders_count_nowhere_and_revenue_is_net_of_refunds(shop: Shop) -> None:
    # given one Normal member with a paid order, a cancelled one, a fully
    # refunded one and a half-refunded one (the tiers app's statistics rule)
    clock.freeze(NOW)
    tiers_seed_defaults(shop=shop)
    normal = Tier.objects.get(shop=shop, code="normal")
    member = _member(shop, 1, normal)
    _order(member, 1, 10000)
    _order(member, 2, 50000)
    _order(member, 3, 20000)
    _order(member, 4, 6000)
    Order.objects.filter(external_id="SO2").update(status=OrderStatus.CANCELLED)
    Order.objects.filter(external_id="SO3").update(
        status=OrderStatus.REFUNDED, refunded_amount=20000
    )
    Order.objects.filter(external_id="SO4").update(refunded_amount=3000)
    # when
    stats = tier_order_stats(_months(), shop.pk)
    # then three orders count (not the cancelled one), revenue 10000 + 0 + 3000
    assert (stats[0]["members"], stats[0]["orders"], stats[0]["aov"]) == (1, 3, 4333)
    assert stats[0]["frequency_x100"] == 300
