"""Per-tier statistics, the set-based rebuild from orders and the backfill."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import GrowthMonth, MemberTier, TierChange, TierMigration, TierProgram
from patron.tiers.services.evaluation import tiers_backfill
from patron.tiers.services.rebuild import growth_rebuild
from patron.tiers.services.stats import tier_stats_refresh
from patron.tiers.tests.conftest import Sender

pytestmark = pytest.mark.django_db


def add_member(shop: Shop, external_id: str) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id=external_id, registered_at=now, created_at=now, updated_at=now
    )


def test_stats_per_tier(shop: Shop, program: TierProgram, member: Member, send: Sender) -> None:
    add_member(shop, "M2")
    add_member(shop, "M3")
    send.pay("A", 100000)  # M1 -> silver
    send.pay("B", 20000)  # M1, 200 yuan
    send.pay("C", 30000, member="M2")  # M2 stays normal
    send.refund("B", "R1")

    rows = {s.tier.code: s for s in tier_stats_refresh(shop=shop)}

    silver, normal = rows["silver"], rows["normal"]
    assert (silver.members, silver.buyers, silver.orders, silver.revenue) == (1, 1, 2, 100000)
    assert silver.average_order_value == 50000
    assert silver.orders_per_member_x100 == 200
    assert silver.revenue_share_bp == 7692  # 1000 / 1300 yuan
    assert (normal.members, normal.orders, normal.revenue, normal.revenue_share_bp) == (
        2,
        1,
        30000,
        2308,
    )
    assert normal.orders_per_member_x100 == 50
    assert silver.top_categories == [{"category": "c", "revenue": 120000, "quantity": 2}]
    assert rows["gold"].members == 0
    assert list(
        TierMigration.objects.values_list("from_tier__code", "to_tier__code", "members")
    ) == [("normal", "silver", 1)]
    assert rows["silver"].period_end == dt.date(2026, 1, 31)


def test_rebuild_from_orders_matches_what_the_events_accrued(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    add_member(shop, "M2")
    send.pay("A", 6001, 4000)
    send.refund("A", "R1", ["L2"])
    send.pay("B", 12345, member="M2")
    send.pay("C", 50000, member="M2")
    send("order.cancelled", {"order_id": "C"}, member="M2")
    send("review.posted", {"review_id": "R1"})
    send("review.posted", {"review_id": "R1"})  # resent under a new event id: counts once
    send("review.posted", {"review_id": "R1"}, member="M2")  # another member's review R1
    send("custom.quiz", {})
    accrued = sorted(GrowthMonth.objects.values_list("member_id", "month", "value"))

    counts = growth_rebuild(shop=shop)

    assert sorted(GrowthMonth.objects.values_list("member_id", "month", "value")) == accrued
    assert accrued == [
        (member.pk, dt.date(2026, 1, 1), 70 + 5 + 2),
        (member.pk + 1, dt.date(2026, 1, 1), 133 + 5),
    ]
    assert counts["spend"] == 3
    assert counts["review"] == 2


@pytest.mark.parametrize("with_shipping", [False, True])
def test_rebuild_counts_shipping_as_the_events_did(
    shop: Shop, program: TierProgram, member: Member, send: Sender, with_shipping: bool
) -> None:
    from patron.tiers.models import GrowthEntry

    program.growth_includes_shipping = with_shipping
    program.save()
    lines = [
        {"line_id": "L1", "sku": "S1", "quantity": 1, "unit_price": 9900},
        {"line_id": "L2", "sku": "S2", "quantity": 1, "unit_price": 10000},
    ]
    for order_id in ("A", "B", "C"):
        data = {"order_id": order_id, "lines": lines, "paid_amount": 20900, "shipping_fee": 1000}
        send("order.paid", data)
    send.refund("A", "R1", ["L1"])
    send.refund("B", "R2")

    def entries() -> list[tuple[str, int, int]]:
        return sorted(GrowthEntry.objects.values_list("kind", "value", "basis"))

    accrued, accrued_months = entries(), sorted(GrowthMonth.objects.values_list("value"))

    growth_rebuild(shop=shop)

    assert entries() == accrued
    assert sorted(GrowthMonth.objects.values_list("value")) == accrued_months
    goods = 209 if with_shipping else 199
    left = 110 if with_shipping else 100  # A after L1's ¥99 came back
    assert selectors.growth_value(member, program) == left + 10 + goods + 10


def test_backfill_gives_tiers_from_history(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("A", 600000)  # gold by events
    MemberTier.objects.all().delete()
    TierChange.objects.all().delete()

    run = tiers_backfill(shop=shop)

    assert run is not None and run.counts["upgraded"] == 1
    assert selectors.member_tier_code(member) == "gold"
    assert TierChange.objects.get().cause == "backfill"
