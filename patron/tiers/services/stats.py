"""Per-tier statistics for operators, as SQL aggregates stored in snapshot rows.

Orders are attributed to the tier the member is in when the statistics are
computed (the common reading of "revenue by tier"); migrations count members
whose tier at the end of the period differs from the start, from the history.

An order counts in the period it was paid in. A cancelled order counts
nowhere: not in orders, buyers, revenue or categories. A refunded order still
counts as an order (it was placed and paid), and revenue is what was paid less
what was refunded, so average order value is net of refunds.

A period's figures are complete only when computed after it ended: the job
(``tier_stats_refresh_due``) therefore recomputes the previous period as long
as its last computation started before that period's end.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from patron.core import clock
from patron.core.models import Shop
from patron.core.money import Rounding, divide
from patron.members.models import Member
from patron.orders import selectors as order_selectors
from patron.orders.models import Order, OrderLine
from patron.tiers import periods, selectors
from patron.tiers.models import (
    MemberTier,
    TierChange,
    TierJobKind,
    TierJobRun,
    TierMigration,
    TierStats,
)

TOP_CATEGORIES = 3


def _local_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    from django.utils import timezone

    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def tier_stats_refresh(*, shop: Shop, period_end: dt.date | None = None) -> list[TierStats]:
    """Compute (or recompute) the statistics of one period, by default the
    current one so far."""
    program = selectors.tier_program_get(shop)
    tiers = selectors.active_tiers(shop)
    if not tiers:
        return []
    end = period_end or periods.period_end(clock.today(), program.period)
    start = periods.period_start(end, program.period)
    since, until = _local_bounds(start, end)
    lowest = tiers[0].pk
    tier_of_member = Coalesce(F("member__tier_state__tier_id"), Value(lowest))

    members_by_tier = dict(
        MemberTier.objects.filter(shop=shop)
        .values("tier_id")
        .annotate(n=Count("pk"))
        .values_list("tier_id", "n")
    )
    total_members = Member.objects.filter(shop=shop).count()
    members_by_tier[lowest] = total_members - sum(
        n for t, n in members_by_tier.items() if t != lowest
    )

    orders = order_selectors.counted_orders(
        Order.objects.filter(shop=shop, paid_at__gte=since, paid_at__lt=until)
    )
    per_tier = {
        row["t"]: row
        for row in orders.annotate(t=tier_of_member)
        .values("t")
        .annotate(
            orders=Count("pk"),
            buyers=Count("member_id", distinct=True),
            revenue=order_selectors.net_revenue(),
        )
        .order_by()
    }
    categories: dict[int, list[dict[str, Any]]] = {}
    for row in (
        OrderLine.objects.filter(order__in=orders)
        .annotate(t=Coalesce(F("order__member__tier_state__tier_id"), Value(lowest)))
        .values("t", "category")
        .annotate(revenue=Sum("paid_amount"), quantity=Sum("quantity"))
        .order_by("t", "-revenue", "category")
    ):
        bucket = categories.setdefault(row["t"], [])
        if len(bucket) < TOP_CATEGORIES:
            bucket.append(
                {
                    "category": row["category"] or "",
                    "revenue": int(row["revenue"] or 0),
                    "quantity": int(row["quantity"] or 0),
                }
            )
    total_revenue = sum(int(r["revenue"] or 0) for r in per_tier.values())
    now = clock.now()
    rows: list[TierStats] = []
    for tier in tiers:
        r: dict[str, Any] = dict(per_tier.get(tier.pk) or {})
        n_orders = int(r.get("orders") or 0)
        revenue = int(r.get("revenue") or 0)
        members = max(0, int(members_by_tier.get(tier.pk, 0)))
        rows.append(
            TierStats(
                shop=shop,
                period_end=end,
                tier=tier,
                members=members,
                buyers=int(r.get("buyers") or 0),
                orders=n_orders,
                revenue=revenue,
                average_order_value=divide(revenue, n_orders, Rounding.HALF_UP) if n_orders else 0,
                orders_per_member_x100=divide(n_orders * 100, members, Rounding.HALF_UP)
                if members
                else 0,
                revenue_share_bp=divide(revenue * 10000, total_revenue, Rounding.HALF_UP)
                if total_revenue
                else 0,
                top_categories=categories.get(tier.pk, []),
                computed_at=now,
            )
        )
    first_change = TierChange.objects.filter(
        member=OuterRef("member"), at__gte=since, at__lt=until
    ).order_by("at", "pk")
    # Each member's first "from" and last "to" in the period, counted per pair.
    moves = (
        TierChange.objects.filter(shop=shop, at__gte=since, at__lt=until)
        .annotate(
            f=Coalesce(
                Subquery(first_change.values("from_tier")[:1], output_field=IntegerField()),
                Value(lowest),
            ),
            t=Subquery(
                first_change.order_by("-at", "-pk").values("to_tier")[:1],
                output_field=IntegerField(),
            ),
        )
        .values("f", "t")
        .annotate(n=Count("member", distinct=True))
        .order_by()
    )
    migrations = {(row["f"], row["t"]): row["n"] for row in moves if row["f"] != row["t"]}
    with transaction.atomic():
        TierStats.objects.filter(shop=shop, period_end=end).delete()
        TierStats.objects.bulk_create(rows)
        TierMigration.objects.filter(shop=shop, period_end=end).delete()
        TierMigration.objects.bulk_create(
            TierMigration(shop=shop, period_end=end, from_tier_id=f, to_tier_id=t, members=n)
            for (f, t), n in sorted(migrations.items())
        )
        TierJobRun.objects.update_or_create(
            shop=shop,
            kind=TierJobKind.STATS,
            key_date=end,
            defaults={
                "started_at": now,
                "finished_at": clock.now(),
                "counts": {"tiers": len(rows)},
            },
        )
    return rows


def tier_stats_refresh_due(*, shop: Shop) -> list[TierStats]:
    """What the daily job runs: the current period so far and, when its last
    computation started before the period ended (or it has none), the previous
    period, so orders paid after the last refresh of a period still reach its
    figures. Returns the rows written."""
    program = selectors.tier_program_get(shop)
    previous_end = periods.last_completed_period_end(clock.today(), program.period)
    _, previous_until = _local_bounds(
        periods.period_start(previous_end, program.period), previous_end
    )
    last = TierJobRun.objects.filter(
        shop=shop, kind=TierJobKind.STATS, key_date=previous_end
    ).first()
    rows: list[TierStats] = []
    if last is None or last.started_at < previous_until:
        rows += tier_stats_refresh(shop=shop, period_end=previous_end)
    rows += tier_stats_refresh(shop=shop)
    return rows
