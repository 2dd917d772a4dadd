"""Tier statistics: cancelled orders count nowhere, refunds net out of revenue,
and the daily job completes the previous period after it ends."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers.models import TierJobKind, TierJobRun, TierProgram, TierStats
from patron.tiers.services.stats import tier_stats_refresh
from patron.tiers.tasks import tiers_stats_refresh
from patron.tiers.tests.conftest import SH, Sender

pytestmark = pytest.mark.django_db


def figures(period_end: dt.date) -> dict[str, tuple[int, int, int, int]]:
    return {
        s.tier.code: (s.buyers, s.orders, s.revenue, s.average_order_value)
        for s in TierStats.objects.filter(period_end=period_end).select_related("tier")
        if s.orders or s.buyers
    }


def test_cancelled_orders_count_nowhere_and_refunds_net_out_of_revenue(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    now = clock.now()
    Member.objects.create(
        shop=shop, external_id="M2", registered_at=now, created_at=now, updated_at=now
    )
    send.pay("A", 100000)  # M1 -> silver
    send.pay("B", 20000)
    send("order.cancelled", {"order_id": "B"})
    send.pay("C", 20000, 10000, member="M2")
    send.refund("C", "R1", lines=["L2"], member="M2")
    send.pay("D", 8000, member="M2")
    send("order.cancelled", {"order_id": "D"}, member="M2")

    rows = {s.tier.code: s for s in tier_stats_refresh(shop=shop)}

    silver, normal = rows["silver"], rows["normal"]
    assert (silver.buyers, silver.orders, silver.revenue, silver.average_order_value) == (
        1,
        1,
        100000,
        100000,
    )
    assert (normal.buyers, normal.orders, normal.revenue, normal.average_order_value) == (
        1,
        1,
        20000,
        20000,
    )
    assert (silver.revenue_share_bp, normal.revenue_share_bp) == (8333, 1667)
    assert (silver.orders_per_member_x100, normal.orders_per_member_x100) == (100, 100)
    assert silver.top_categories == [{"category": "c", "revenue": 100000, "quantity": 1}]


def test_daily_job_completes_the_previous_period_after_it_ends(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    jan, feb = dt.date(2026, 1, 31), dt.date(2026, 2, 28)
    clock.freeze(dt.datetime(2026, 1, 31, 10, 0, tzinfo=SH))
    tiers_stats_refresh.call()
    clock.freeze(dt.datetime(2026, 1, 31, 20, 0, tzinfo=SH))
    send.pay("A", 50000)  # paid after January's last refresh in January

    clock.freeze(dt.datetime(2026, 2, 1, 10, 0, tzinfo=SH))
    assert tiers_stats_refresh.call() == 8  # January again and February, four tiers each

    assert figures(jan) == {"normal": (1, 1, 50000, 50000)}
    assert figures(feb) == {}
    # January was computed after it ended: later runs leave it alone
    clock.freeze(dt.datetime(2026, 2, 2, 10, 0, tzinfo=SH))
    send.pay("B", 30000)  # a February order
    assert tiers_stats_refresh.call() == 4
    assert figures(jan) == {"normal": (1, 1, 50000, 50000)}
    assert figures(feb) == {"normal": (1, 1, 30000, 30000)}
    assert TierJobRun.objects.get(kind=TierJobKind.STATS, key_date=jan).started_at == dt.datetime(
        2026, 2, 1, 10, 0, tzinfo=SH
    )
