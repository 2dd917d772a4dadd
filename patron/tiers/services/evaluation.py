"""The end-of-period tier evaluation and the history backfill, as SQL over sets.

One evaluation per shop and period end (``TierJobRun`` makes it run once):

1. sum each member's growth over the window from the monthly rollup (or read
   lifetime points) into a temporary table — only members who could move:
   anyone above the lowest tier, and anyone whose value reaches the second tier;
2. decide in two INSERT .. SELECT statements: catch-up upgrades (thresholds
   lowered, points mode), and for members above the lowest tier whether they
   recovered, enter their grace period or drop;
3. apply: one INSERT .. SELECT of history, one UPDATE .. FROM of tier states,
   one INSERT .. SELECT of new tier states.

Overridden members are never touched. The same statements run on SQLite (the
embedded default and the tests) and PostgreSQL; tier thresholds enter as CASE
expressions built from the shop's few tiers (integers, never user text).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import messages, periods, selectors, sql
from patron.tiers.models import (
    DowngradeMode,
    GrowthMonth,
    MemberTier,
    QualifyingMeasure,
    Tier,
    TierChange,
    TierChangeCause,
    TierJobKind,
    TierJobRun,
    TierProgram,
)

VALUES_TABLE = "tiers_eval_value"
DECISIONS_TABLE = "tiers_eval_decision"
LOCKED_TABLE = "tiers_eval_locked"


@dataclass(frozen=True)
class Ladder:
    """The shop's active tiers as SQL CASE expressions."""

    tiers: list[Tier]

    @property
    def lowest(self) -> Tier:
        return self.tiers[0]

    def _by_value(self, column: str, attr: str, result: str) -> str:
        whens = " ".join(
            f"WHEN {column} >= {int(getattr(t, attr))} THEN {int(getattr(t, result))}"
            for t in reversed(self.tiers[1:])
        )
        return f"(CASE {whens} ELSE {int(getattr(self.lowest, result))} END)"

    def entry_tier(self, column: str) -> str:
        """The id of the highest tier whose entry threshold ``column`` reaches."""
        return self._by_value(column, "entry_threshold", "pk")

    def entry_rank(self, column: str) -> str:
        return self._by_value(column, "entry_threshold", "rank")

    def entry_threshold(self, column: str) -> str:
        return self._by_value(column, "entry_threshold", "entry_threshold")

    def retention_tier(self, column: str) -> str:
        """The id of the highest tier whose retention threshold ``column`` reaches."""
        return self._by_value(column, "retention_threshold", "pk")

    def _by_tier(self, column: str, values: list[int], default: int) -> str:
        whens = " ".join(
            f"WHEN {int(t.pk)} THEN {int(v)}" for t, v in zip(self.tiers, values, strict=True)
        )
        return f"(CASE {column} {whens} ELSE {int(default)} END)"

    def rank_of(self, column: str) -> str:
        return self._by_tier(column, [t.rank for t in self.tiers], -1)

    def retention_of(self, column: str) -> str:
        return self._by_tier(column, [t.retention_threshold for t in self.tiers], 0)

    def one_below(self, column: str) -> str:
        below = [self.tiers[max(0, i - 1)].pk for i in range(len(self.tiers))]
        return self._by_tier(column, below, self.lowest.pk)


def _create_temp_tables() -> None:
    on_commit = " ON COMMIT DROP" if sql.is_postgres() else ""
    sql.execute(f"DROP TABLE IF EXISTS {VALUES_TABLE}")
    sql.execute(f"DROP TABLE IF EXISTS {DECISIONS_TABLE}")
    sql.execute(f"DROP TABLE IF EXISTS {LOCKED_TABLE}")
    sql.execute(
        f"CREATE TEMP TABLE {LOCKED_TABLE} (member_id bigint NOT NULL PRIMARY KEY){on_commit}"
    )
    sql.execute(
        f"CREATE TEMP TABLE {DECISIONS_TABLE} (member_id bigint NOT NULL, "
        "from_tier_id bigint NOT NULL, to_tier_id bigint NOT NULL, value bigint NOT NULL, "
        "threshold bigint NOT NULL, action varchar(8) NOT NULL, has_state integer NOT NULL)"
        f"{on_commit}"
    )


def _drop_temp_tables() -> None:
    if not sql.is_postgres():
        sql.execute(f"DROP TABLE IF EXISTS {VALUES_TABLE}")
        sql.execute(f"DROP TABLE IF EXISTS {DECISIONS_TABLE}")
        sql.execute(f"DROP TABLE IF EXISTS {LOCKED_TABLE}")


def _fill_values(
    *, shop_id: int, program: TierProgram, ladder: Ladder, on: dt.date, only: bool = False
) -> int:
    """Qualifying values of the members who could move, into the temp table
    (``only``: of the locked members only)."""
    states = sql.table(MemberTier)
    restrict = f" AND member_id IN (SELECT member_id FROM {LOCKED_TABLE})" if only else ""  # noqa: S608
    movable = f"SELECT member_id FROM {states} WHERE shop_id = %s AND tier_id <> %s"  # noqa: S608
    floor = ladder.tiers[1].entry_threshold if len(ladder.tiers) > 1 else 0
    if program.qualifying_measure == QualifyingMeasure.LIFETIME_POINTS:
        from patron.points.models import PointsAccount

        source = (
            f"SELECT member_id, lifetime_earned AS value FROM {sql.table(PointsAccount)} "  # noqa: S608
            f"WHERE shop_id = %s AND (lifetime_earned >= %s OR member_id IN ({movable})){restrict}"
        )
        params: list[Any] = [shop_id, floor, shop_id, ladder.lowest.pk]
    else:
        first, last = periods.window_months(on, program.window_months)
        source = (
            f"SELECT member_id, SUM(value) AS value FROM {sql.table(GrowthMonth)} "  # noqa: S608
            f"WHERE shop_id = %s AND month >= %s AND month <= %s{restrict} GROUP BY member_id "
            f"HAVING SUM(value) >= %s OR member_id IN ({movable})"
        )
        params = [shop_id, first, last, floor, shop_id, ladder.lowest.pk]
    # CREATE TABLE .. AS (not INSERT .. SELECT): PostgreSQL runs its SELECT in
    # parallel, like the plain aggregate it is measured against.
    on_commit = " ON COMMIT DROP" if sql.is_postgres() else ""
    sql.execute(f"CREATE TEMP TABLE {VALUES_TABLE}{on_commit} AS {source}", params)
    count = sql.fetchall(f"SELECT count(*) FROM {VALUES_TABLE}")[0][0]  # noqa: S608
    if sql.is_postgres():
        sql.execute(f"ANALYZE {VALUES_TABLE}")
    return count


def _decide(
    *,
    shop_id: int,
    program: TierProgram,
    ladder: Ladder,
    on: dt.date,
    upgrades_only: bool,
    only: bool = False,
) -> None:
    states = sql.table(MemberTier)
    locked = f"SELECT member_id FROM {LOCKED_TABLE}"  # noqa: S608
    restrict = f" AND mt.member_id IN ({locked})" if only else ""
    lowest = int(ladder.lowest.pk)
    current = f"COALESCE(mt.tier_id, {lowest})"
    sql.execute(
        f"INSERT INTO {DECISIONS_TABLE} "  # noqa: S608
        "(member_id, from_tier_id, to_tier_id, value, threshold, action, has_state) "
        f"SELECT v.member_id, {current}, {ladder.entry_tier('v.value')}, v.value, "
        f"{ladder.entry_threshold('v.value')}, 'up', "
        "CASE WHEN mt.member_id IS NULL THEN 0 ELSE 1 END "
        f"FROM {VALUES_TABLE} v LEFT JOIN {states} mt ON mt.member_id = v.member_id "
        f"WHERE mt.override_id IS NULL AND {ladder.entry_rank('v.value')} > "
        f"{ladder.rank_of(current)}"
    )
    if upgrades_only:
        return
    value = "COALESCE(v.value, 0)"
    retention = ladder.retention_of("mt.tier_id")
    target = (
        ladder.retention_tier(value)
        if program.downgrade_mode == DowngradeMode.TO_SUPPORTED
        else ladder.one_below("mt.tier_id")
    )
    grace = int(program.grace_periods)
    sql.execute(
        f"INSERT INTO {DECISIONS_TABLE} "  # noqa: S608
        "(member_id, from_tier_id, to_tier_id, value, threshold, action, has_state) "
        "SELECT member_id, tier_id, CASE WHEN action = 'down' THEN target ELSE tier_id END, "
        "value, threshold, action, 1 FROM ("
        f"  SELECT mt.member_id, mt.tier_id, {target} AS target, {value} AS value, "
        f"  {retention} AS threshold, "
        f"  CASE WHEN {value} >= {retention} THEN "
        "         (CASE WHEN mt.grace_until IS NOT NULL THEN 'clear' ELSE 'keep' END) "
        "       WHEN mt.protected_until > %s THEN 'keep' "
        f"       WHEN {grace} = 0 OR mt.grace_until <= %s THEN 'down' "
        "       WHEN mt.grace_until IS NULL THEN 'grace' ELSE 'keep' END AS action "
        f"  FROM {states} mt LEFT JOIN {VALUES_TABLE} v ON v.member_id = mt.member_id "
        f"  WHERE mt.shop_id = %s AND mt.override_id IS NULL AND mt.tier_id <> %s{restrict} "
        f"    AND NOT EXISTS (SELECT 1 FROM {DECISIONS_TABLE} d WHERE d.member_id = mt.member_id)"
        ") c WHERE action <> 'keep'",
        [on, on, shop_id, lowest],
    )


def _lock_and_redecide(
    *, shop_id: int, program: TierProgram, ladder: Ladder, on: dt.date, upgrades_only: bool
) -> None:
    """Lock the member rows, then the tier rows, of the members the first
    decision moves (id order, the app's lock order: accounts, members, tier
    rows; the job needs no accounts), then decide again for them alone from
    what is committed now.

    The first decision reads a snapshot: an upgrade, override or refund
    committed since would be overwritten by deciding from it. Events and
    overrides take the member lock before they touch a tier state, so once
    the job holds it no one else moves these members until the job commits,
    and the second decision sees every change committed before. Members the
    first decision left alone are left alone (the job is ordered before
    whatever changed them meanwhile)."""
    sql.execute(
        f"INSERT INTO {LOCKED_TABLE} (member_id) "  # noqa: S608
        f"SELECT DISTINCT member_id FROM {DECISIONS_TABLE}"
    )
    if sql.is_postgres():
        locked = f"SELECT member_id FROM {LOCKED_TABLE}"  # noqa: S608
        sql.execute(
            f"SELECT id FROM {sql.table(Member)} WHERE id IN ({locked}) "  # noqa: S608
            "ORDER BY id FOR UPDATE"
        )
        sql.execute(
            f"SELECT member_id FROM {sql.table(MemberTier)} "  # noqa: S608
            f"WHERE member_id IN ({locked}) ORDER BY member_id FOR UPDATE"
        )
    sql.execute(f"DELETE FROM {DECISIONS_TABLE}")  # noqa: S608
    sql.execute(f"DROP TABLE {VALUES_TABLE}")
    _fill_values(shop_id=shop_id, program=program, ladder=ladder, on=on, only=True)
    _decide(
        shop_id=shop_id,
        program=program,
        ladder=ladder,
        on=on,
        upgrades_only=upgrades_only,
        only=True,
    )


def _apply(
    *,
    shop_id: int,
    program: TierProgram,
    on: dt.date,
    run: TierJobRun,
    cause: str,
) -> dict[str, int]:
    now = clock.now()
    protect = periods.period_end(clock.today(), program.period, periods_later=1)
    grace_until = periods.period_end(on, program.period, periods_later=program.grace_periods)
    counts = {
        action: int(n)
        for action, n in sql.fetchall(
            f"SELECT action, COUNT(*) FROM {DECISIONS_TABLE} GROUP BY action"  # noqa: S608
        )
    }
    sql.execute(
        f"INSERT INTO {sql.table(TierChange)} (shop_id, member_id, from_tier_id, to_tier_id, "  # noqa: S608
        "direction, at, cause, measure, value, threshold, event_id, run_id, note) "
        "SELECT %s, member_id, from_tier_id, to_tier_id, "
        "CASE WHEN action = 'up' THEN 1 ELSE -1 END, %s, %s, %s, value, threshold, '', %s, "
        "CASE WHEN action = 'up' THEN 'value reached the entry threshold' "
        "ELSE 'value below the retention threshold' END "
        f"FROM {DECISIONS_TABLE} WHERE action IN ('up', 'down')",
        [shop_id, now, cause, program.qualifying_measure, run.pk],
    )
    states = sql.table(MemberTier)
    sql.execute(
        f"UPDATE {states} SET tier_id = d.to_tier_id, "  # noqa: S608
        "since = CASE WHEN d.action IN ('up', 'down') THEN %s ELSE since END, "
        "protected_until = CASE WHEN d.action = 'up' THEN %s ELSE protected_until END, "
        "grace_until = CASE WHEN d.action = 'grace' THEN %s ELSE NULL END, "
        "updated_at = %s "
        f"FROM {DECISIONS_TABLE} d WHERE d.member_id = {states}.member_id AND d.has_state = 1",
        [now, protect, grace_until, now],
    )
    sql.execute(
        f"INSERT INTO {states} (member_id, shop_id, tier_id, since, protected_until, "  # noqa: S608
        "grace_until, override_id, updated_at) "
        "SELECT member_id, %s, to_tier_id, %s, %s, NULL, NULL, %s "
        f"FROM {DECISIONS_TABLE} WHERE action = 'up' AND has_state = 0",
        [shop_id, now, protect, now],
    )
    if cause == TierChangeCause.PERIOD_EVALUATION:
        # A backfill computes history: nobody is told about it.
        messages.period_run_notify(
            shop_id=shop_id,
            run_id=run.pk,
            decisions=sql.fetchall(
                f"SELECT member_id, from_tier_id, to_tier_id, action FROM {DECISIONS_TABLE} "  # noqa: S608
                "WHERE action IN ('up', 'down', 'grace') ORDER BY member_id"
            ),
            grace_until=grace_until,
        )
    return {
        "upgraded": counts.get("up", 0),
        "downgraded": counts.get("down", 0),
        "grace_started": counts.get("grace", 0),
        "recovered": counts.get("clear", 0),
    }


def _set_work_mem() -> None:
    work_mem = getattr(settings, "PATRON_TIERS_JOB_WORK_MEM", "256MB")
    if sql.is_postgres() and work_mem:
        sql.execute("SELECT set_config('work_mem', %s, true)", [work_mem])


def _run(
    *,
    shop: Shop,
    kind: str,
    key_date: dt.date,
    on: dt.date,
    cause: str,
    upgrades_only: bool,
) -> TierJobRun | None:
    program = selectors.tier_program_get(shop)
    tiers = selectors.active_tiers(shop)
    if not tiers:
        return None
    ladder = Ladder(tiers)
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = TierJobRun.objects.create(
                    shop=shop, kind=kind, key_date=key_date, started_at=clock.now()
                )
        except IntegrityError:
            return None  # this period was evaluated already
        _set_work_mem()
        _create_temp_tables()
        try:
            considered = _fill_values(shop_id=shop.pk, program=program, ladder=ladder, on=on)
            _decide(
                shop_id=shop.pk, program=program, ladder=ladder, on=on, upgrades_only=upgrades_only
            )
            _lock_and_redecide(
                shop_id=shop.pk, program=program, ladder=ladder, on=on, upgrades_only=upgrades_only
            )
            counts = _apply(shop_id=shop.pk, program=program, on=on, run=run, cause=cause)
        finally:
            _drop_temp_tables()
        run.counts = {"considered": considered, **counts}
        run.finished_at = clock.now()
        run.save(update_fields=["counts", "finished_at"])
    return run


def tiers_evaluate_period(*, shop: Shop, period_end: dt.date | None = None) -> TierJobRun | None:
    """Evaluate the shop's members at the end of a period (by default the last
    one completed). Runs at most once per period; returns None if it had run."""
    program = selectors.tier_program_get(shop)
    end = period_end or periods.last_completed_period_end(clock.today(), program.period)
    return _run(
        shop=shop,
        kind=TierJobKind.PERIOD_EVALUATION,
        key_date=end,
        on=end,
        cause=TierChangeCause.PERIOD_EVALUATION,
        upgrades_only=False,
    )


def tiers_backfill(*, shop: Shop) -> TierJobRun | None:
    """Give members the tiers their current value reaches (after an import or
    ``growth_rebuild``); upgrades only, recorded as computed from history."""
    today = clock.today()
    TierJobRun.objects.filter(shop=shop, kind=TierJobKind.BACKFILL, key_date=today).delete()
    return _run(
        shop=shop,
        kind=TierJobKind.BACKFILL,
        key_date=today,
        on=today,
        cause=TierChangeCause.BACKFILL,
        upgrades_only=True,
    )
