"""Tier benchmark: the end-of-period evaluation against a bare aggregate of the orders.

1,000,000 members and 10,000,000 paid orders over 24 months (times ``--scale``),
generated with ``generate_series``. The monthly growth rollup is built from the
orders the way event-time accrual fills it (spend per yuan plus a count per
order, refunds netted in the order's month), members get their tiers as of
three months before the period end (``tiers_backfill``), a third of the upper
tiers are put into grace, and then ``tiers_evaluate_period`` runs for the
period end. Beside it, in the same session and with the same ``work_mem``:
``SELECT member_id, SUM(paid_amount - refunded_amount) FROM orders_order
GROUP BY member_id`` over the same orders. Target: evaluation <= 3 x aggregate.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

CST = dt.timezone(dt.timedelta(hours=8))
MEMBERS = 1_000_000
ORDERS_PER_MEMBER = 10
PERIOD_END = dt.date(2026, 6, 30)
TARGET = 3.0
WORK_MEM = "256MB"


def _exec(sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)


def _timed(sql: str, params: Any = None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(sql, params)
        cur.fetchall()
    return time.perf_counter() - started


def generate(shop_id: int, members: int, orders: int) -> dict[str, float]:
    """Members, orders and the growth rollup, set-based. Returns timings."""
    from django.db import connection

    took: dict[str, float] = {}
    # Bulk load without per-row foreign-key triggers (the rows reference the
    # shop and members created here); restored before anything is measured.
    _exec("SET session_replication_role = replica")
    started = time.perf_counter()
    _exec(
        """
        INSERT INTO members_member (shop_id, external_id, name, phone, email, birthday, gender,
            registered_at, registration_channel, language, consent_email, consent_sms,
            consent_in_app, created_at, updated_at)
        SELECT %s, 'BM' || i, '', '', '', NULL, '', %s, 'web', 'zh-hans', false, false, true,
            %s, %s
        FROM generate_series(1, %s) AS i
        """,
        [shop_id, dt.datetime(2024, 1, 1, tzinfo=CST)]
        + [dt.datetime(2024, 1, 1, tzinfo=CST)] * 2
        + [members],
    )
    with connection.cursor() as cur:
        cur.execute("SELECT min(id) FROM members_member WHERE shop_id = %s", [shop_id])
        first_member = cur.fetchone()[0]
    took["members"] = time.perf_counter() - started

    # Order i belongs to member i % members. Members fall into spending segments
    # by id (70% light, 20% medium, 8% heavy, 2% very heavy: roughly a real
    # programme's normal/silver/gold/diamond mix); each order's amount varies
    # 0.1x..2x around the segment's mean, so the window's movement moves some
    # members across thresholds every month. 5% of orders are half refunded.
    # Paid at a pseudo-random second in the 24 months before the period end.
    end_ts = dt.datetime.combine(PERIOD_END, dt.time(23, 59), tzinfo=CST)
    started = time.perf_counter()
    _exec(
        """
        INSERT INTO orders_order (shop_id, member_id, external_id, status, currency, items_amount,
            shipping_fee, discount_amount, points_used, points_amount, coupon_codes, paid_amount,
            refunded_amount, placed_at, paid_at, updated_at)
        SELECT %(shop)s, %(first)s + (i %% %(members)s), 'BO' || i,
            CASE WHEN i %% 20 = 0 THEN 'partially_refunded' ELSE 'paid' END, 'CNY',
            amount, 0, 0, 0, 0, '[]'::jsonb, amount,
            CASE WHEN i %% 20 = 0 THEN amount / 2 ELSE 0 END, at, at, at
        FROM (
            SELECT i,
                (1000 + (i * 2654435761) %% 19000) * (CASE
                    WHEN (i %% %(members)s) %% 100 < 70 THEN 20
                    WHEN (i %% %(members)s) %% 100 < 90 THEN 300
                    WHEN (i %% %(members)s) %% 100 < 98 THEN 1500
                    ELSE 6000 END) / 100 AS amount,
                %(end)s - make_interval(secs => (i * 104729) %% (730 * 86400)) AS at
            FROM generate_series(1::bigint, %(orders)s) AS i
        ) g
        """,
        {
            "shop": shop_id,
            "first": first_member,
            "members": members,
            "orders": orders,
            "end": end_ts,
        },
    )
    took["orders"] = time.perf_counter() - started

    started = time.perf_counter()
    _exec(
        """
        INSERT INTO tiers_growthmonth (shop_id, member_id, month, value)
        SELECT shop_id, member_id,
            date_trunc('month', paid_at AT TIME ZONE 'Asia/Shanghai')::date,
            SUM((paid_amount - refunded_amount) / 100 + 10)
        FROM orders_order WHERE shop_id = %s
        GROUP BY shop_id, member_id, date_trunc('month', paid_at AT TIME ZONE 'Asia/Shanghai')
        """,
        [shop_id],
    )
    took["rollup"] = time.perf_counter() - started
    _exec("SET session_replication_role = DEFAULT")
    _exec("VACUUM ANALYZE orders_order")
    _exec("VACUUM ANALYZE tiers_growthmonth")
    _exec("VACUUM ANALYZE members_member")
    return took


def _count(sql: str, params: Any = None) -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return int(cur.fetchone()[0])


def run(args: argparse.Namespace) -> str:
    from patron.core import clock
    from patron.core.models import Shop
    from patron.tiers.services.definitions import tiers_seed_defaults
    from patron.tiers.services.evaluation import tiers_backfill, tiers_evaluate_period

    scale = float(getattr(args, "scale", 1.0) or 1.0)
    members = max(1000, int(MEMBERS * scale))
    orders = members * ORDERS_PER_MEMBER
    shop = Shop.objects.create(name=f"Bench tiers {time.time_ns()}")
    tiers_seed_defaults(shop=shop)
    gen = generate(shop.pk, members, orders)
    rollup_rows = _count("SELECT count(*) FROM tiers_growthmonth WHERE shop_id = %s", [shop.pk])

    # Tiers as of 30 April (backfill), then the May evaluation the way the
    # monthly job would have run it: the measured run starts from a realistic
    # state, with members in grace since May.
    clock.freeze(dt.datetime(2026, 4, 30, 9, 0, tzinfo=CST))
    started = time.perf_counter()
    tiers_backfill(shop=shop)
    backfill_s = time.perf_counter() - started
    _exec("UPDATE tiers_membertier SET protected_until = NULL WHERE shop_id = %s", [shop.pk])
    clock.freeze(dt.datetime(2026, 6, 1, 2, 0, tzinfo=CST))
    tiers_evaluate_period(shop=shop, period_end=dt.date(2026, 5, 31))
    _exec("VACUUM ANALYZE tiers_membertier")
    tiered = dict(
        _rows(
            "SELECT t.code, count(*) FROM tiers_membertier mt JOIN tiers_tier t ON t.id = "
            "mt.tier_id WHERE mt.shop_id = %s GROUP BY t.code",
            [shop.pk],
        )
    )
    in_grace = _count(
        "SELECT count(*) FROM tiers_membertier WHERE shop_id = %s AND grace_until IS NOT NULL",
        [shop.pk],
    )

    bare_sql = (
        "SELECT count(*), sum(s) FROM (SELECT member_id, SUM(paid_amount - refunded_amount) AS s "
        "FROM orders_order WHERE shop_id = %s GROUP BY member_id) x"
    )
    _exec("SET work_mem = %s", [WORK_MEM])
    _timed(bare_sql, [shop.pk])  # warm the cache the same way for both
    bare = min(_timed(bare_sql, [shop.pk]) for _ in range(2))

    clock.freeze(dt.datetime(2026, 7, 1, 2, 0, tzinfo=CST))
    started = time.perf_counter()
    run_ = tiers_evaluate_period(shop=shop, period_end=PERIOD_END)
    evaluation = time.perf_counter() - started
    assert run_ is not None
    counts = run_.counts
    # The next period end: members put into grace by the first run now drop.
    clock.freeze(dt.datetime(2026, 8, 1, 2, 0, tzinfo=CST))
    started = time.perf_counter()
    again = tiers_evaluate_period(shop=shop, period_end=dt.date(2026, 7, 31))
    evaluation2 = time.perf_counter() - started
    clock.reset()
    ratio = evaluation / bare if bare else 0.0
    verdict = "met" if ratio <= TARGET else "MISSED"
    lines = [
        "## Tiers: end-of-period evaluation",
        "",
        f"{members:,} members, {orders:,} paid orders over 24 months "
        f"({rollup_rows:,} monthly growth rollup rows, built from the orders as event-time "
        "accrual fills them); window 12 months, monthly period.",
        "Tiers before the measured evaluation (backfill as of 2026-04-30, then the May "
        "evaluation): "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(tiered.items()))
        + f" (the rest normal, without a row); {in_grace:,} in grace.",
        "",
        "| step | seconds |",
        "|---|---:|",
        f"| generate members (generate_series) | {gen['members']:.1f} |",
        f"| generate orders (generate_series) | {gen['orders']:.1f} |",
        f"| build the monthly rollup from the orders | {gen['rollup']:.1f} |",
        f"| tiers_backfill (upgrades only, as of 2026-04-30) | {backfill_s:.2f} |",
        f"| **bare aggregate** `SELECT member_id, SUM(..) FROM orders GROUP BY member_id` "
        f"| **{bare:.2f}** |",
        f"| **tiers_evaluate_period** (2026-06-30) | **{evaluation:.2f}** |",
        f"| tiers_evaluate_period (2026-07-31, the next period) | {evaluation2:.2f} |",
        "",
        f"Evaluation / aggregate = **{ratio:.2f} x** (target <= {TARGET:g} x: {verdict}). "
        f"First run: {counts.get('considered', 0):,} members considered, "
        f"{counts.get('upgraded', 0):,} upgraded, {counts.get('downgraded', 0):,} downgraded, "
        f"{counts.get('grace_started', 0):,} entered grace, "
        f"{counts.get('recovered', 0):,} recovered. Next period: "
        + ", ".join(f"{k} {v:,}" for k, v in (again.counts if again else {}).items())
        + ".",
        "",
        f"Both queries ran in the same session with work_mem = {WORK_MEM} (the job sets it "
        "for its own transaction) and warm caches; the aggregate is the best of two runs.",
    ]
    return "\n".join(lines)


def _rows(sql: str, params: Any = None) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return list(cur.fetchall())
