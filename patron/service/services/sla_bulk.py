"""Set-based SLA recalculation: the due times of every open ticket of a shop
in one UPDATE per business calendar (after a policy's targets or a calendar's
hours or days change).

Business time becomes plain arithmetic over a small temporary table of the
calendar's working spans, each with the business seconds before it (``cum``):
a moment's position is ``cum + (moment - start)`` of the first span ending
after it, and the moment ``X`` business seconds in is ``start + (X - cum)`` of
the last span with ``cum < X``. The spans come from the same ``Hours.spans``
the per-ticket path walks, so both give the same due times (a test holds them
equal). On SQLite moments are whole seconds; PostgreSQL keeps microseconds.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, Max, Min

from patron.core import clock
from patron.core.models import Shop
from patron.service.calendar import Hours, business_seconds_between
from patron.service.models import BusinessCalendar, TicketSla
from patron.service.services.sla import FINISHED, hours_of, sla_update, warn_percent

SPANS = "service_sla_spans"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _epoch(col: str) -> str:
    if _pg():
        return f"EXTRACT(EPOCH FROM {col})"
    return f"CAST(strftime('%%s', {col}) AS INTEGER)"


def _from_epoch(expr: str) -> str:
    if _pg():
        return f"to_timestamp(({expr})::double precision)"
    return f"datetime({expr}, 'unixepoch')"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _pg() else f"MAX({a}, {b})"


def _distinct(a: str, b: str) -> str:
    return f"{a} IS DISTINCT FROM {b}" if _pg() else f"{a} IS NOT {b}"


def _spans(hours: Hours, start: dt.datetime, last: dt.datetime, reach: int) -> list[tuple]:
    """(start, end, business seconds before) in epoch seconds, from ``start``
    until ``reach`` business seconds past ``last``."""
    need = business_seconds_between(start, last, hours) + reach
    out: list[tuple[int, int, int]] = []
    cum = 0
    for a, b in hours.spans(start):
        out.append((int(a.timestamp()), int(b.timestamp()), cum))
        cum += int((b - a).total_seconds())
        if cum > need + 60:
            break
    return out


def _due(x: str) -> str:
    moment = _from_epoch(f"sp.s + ({x}) - sp.cum")
    where = f"WHERE sp.cum < ({x}) ORDER BY sp.cum DESC LIMIT 1"
    return f"(SELECT {moment} FROM {SPANS} sp {where})"  # noqa: S608 (constants only)


def _pos(base: str) -> str:
    offset = _greatest("0", f"{base} - sp.s")
    where = f"WHERE sp.e > {base} ORDER BY sp.e LIMIT 1"
    return f"(SELECT sp.cum + {offset} FROM {SPANS} sp {where})"  # noqa: S608 (constants only)


def _target_sets(name: str, when: str) -> str:
    """SET clauses for one target: a new due time where ``when`` holds; a
    warning kept off when the due time did not move; a breach forgotten when
    it did (the job records the new one)."""
    due, warn, breached = f"{name}_due_at", f"{name}_warn_at", f"{name}_breached_at"
    short = {"first_response": "fr", "next_response": "nr", "resolution": "rs"}[name]
    return (
        f"{due} = CASE WHEN {when} THEN x.{short}d ELSE {due} END, "
        f"{warn} = CASE WHEN NOT ({when}) THEN {warn} "
        f"WHEN x.{short}d = {due} AND {warn} IS NULL THEN NULL ELSE x.{short}w END, "
        f"{breached} = CASE WHEN ({when}) AND {_distinct(f'x.{short}d', due)} THEN NULL "
        f"ELSE {breached} END"
    )


def _statement() -> str:
    finished = ", ".join(f"'{s}'" for s in FINISHED)
    pct = warn_percent()
    return f"""
WITH b AS (
  SELECT ts.ticket_id AS id, {_epoch("t.created_at")} AS base,
         {_epoch("ts.next_from")} AS nbase, ts.paused_seconds AS paused,
         ts.next_paused_base AS npb, p.first_response_minutes * 60 AS fr,
         p.next_response_minutes * 60 AS nr, p.resolution_minutes * 60 AS rs,
         CASE WHEN t.first_response_at IS NULL THEN 1 ELSE 0 END AS fr_open
  FROM service_ticketsla ts
  JOIN service_ticket t ON t.id = ts.ticket_id
  JOIN service_slapolicy p ON p.id = ts.policy_id
  WHERE ts.shop_id = %s AND ts.calendar_id = %s AND t.status NOT IN ({finished})
), q AS (
  SELECT b.*, {_pos("b.base")} AS pos,
         CASE WHEN b.nbase IS NULL THEN NULL ELSE {_pos("b.nbase")} END AS npos
  FROM b
), x AS (
  SELECT id, fr_open, nbase,
         {_due("pos + fr + paused")} AS frd,
         {_due(f"pos + fr * {pct} / 100 + paused")} AS frw,
         CASE WHEN npos IS NULL THEN NULL ELSE {_due("npos + nr + paused - npb")} END AS nrd,
         CASE WHEN npos IS NULL THEN NULL
              ELSE {_due(f"npos + nr * {pct} / 100 + paused - npb")} END AS nrw,
         {_due("pos + rs + paused")} AS rsd,
         {_due(f"pos + rs * {pct} / 100 + paused")} AS rsw
  FROM q
)
UPDATE service_ticketsla SET
  {_target_sets("first_response", "x.fr_open = 1")},
  {_target_sets("next_response", "x.nbase IS NOT NULL")},
  {_target_sets("resolution", "1 = 1")},
  updated_at = %s
FROM x WHERE service_ticketsla.ticket_id = x.id
"""  # noqa: S608 (built from constants; values are parameters)


def _pg_due(t: str) -> str:
    return f"to_timestamp((%(s)s::float8[])[j{t}] + {t} - (%(c)s::float8[])[j{t}])"


def _pg_statement() -> str:
    """PostgreSQL: the spans ride along as four arrays and ``width_bucket``
    (a binary search) finds a moment's span, so each row is arithmetic, with
    no subquery per row. Layers are fenced (``OFFSET 0``) so each value is
    computed once."""
    finished = ", ".join(f"'{s}'" for s in FINISHED)
    pct = warn_percent()
    targets = ("frd", "frw", "nrd", "nrw", "rsd", "rsw")
    jays = ", ".join(f"%(n)s - width_bucket(-{t}, %(rnc)s::float8[]) AS j{t}, {t}" for t in targets)
    return f"""
UPDATE service_ticketsla SET
  {_target_sets("first_response", "x.fr_open = 1")},
  {_target_sets("next_response", "x.nbase IS NOT NULL")},
  {_target_sets("resolution", "1 = 1")},
  updated_at = %(now)s
FROM (
  SELECT id, fr_open, nbase, {", ".join(f"{_pg_due(t)} AS {t}" for t in targets)}
  FROM (
    SELECT id, fr_open, nbase, {jays}
    FROM (
      SELECT id, fr_open, nbase,
             pos + fr + paused AS frd, pos + fr * {pct} / 100 + paused AS frw,
             npos + nr + paused - npb AS nrd, npos + nr * {pct} / 100 + paused - npb AS nrw,
             pos + rs + paused AS rsd, pos + rs * {pct} / 100 + paused AS rsw
      FROM (
        SELECT id, fr_open, nbase, paused, npb, fr, nr, rs,
               (%(c)s::float8[])[ib] + GREATEST(0, base - (%(s)s::float8[])[ib]) AS pos,
               (%(c)s::float8[])[inb] + GREATEST(0, nbase - (%(s)s::float8[])[inb]) AS npos
        FROM (
          SELECT ts.ticket_id AS id, EXTRACT(EPOCH FROM t.created_at)::float8 AS base,
                 EXTRACT(EPOCH FROM ts.next_from)::float8 AS nbase,
                 width_bucket(EXTRACT(EPOCH FROM t.created_at)::float8, %(e)s::float8[]) + 1
                   AS ib,
                 width_bucket(EXTRACT(EPOCH FROM ts.next_from)::float8, %(e)s::float8[]) + 1
                   AS inb,
                 ts.paused_seconds AS paused, ts.next_paused_base AS npb,
                 p.first_response_minutes * 60 AS fr, p.next_response_minutes * 60 AS nr,
                 p.resolution_minutes * 60 AS rs,
                 CASE WHEN t.first_response_at IS NULL THEN 1 ELSE 0 END AS fr_open
          FROM service_ticketsla ts
          JOIN service_ticket t ON t.id = ts.ticket_id
          JOIN service_slapolicy p ON p.id = ts.policy_id
          WHERE ts.shop_id = %(shop)s AND ts.calendar_id = %(cal)s
            AND t.status NOT IN ({finished})
          OFFSET 0
        ) b OFFSET 0
      ) q OFFSET 0
    ) r OFFSET 0
  ) d
) x WHERE service_ticketsla.ticket_id = x.id
"""  # noqa: S608 (built from constants; values are parameters)


@transaction.atomic
def sla_bulk(*, shop: Shop, at: dt.datetime | None = None) -> int:
    """Recompute the due times of every open ticket of ``shop`` that has a
    policy, keeping each ticket's policy and calendar (``sla_recalculate``
    picks those again). One UPDATE per calendar; tickets without a calendar
    (round the clock) go one by one. Returns the rows updated."""
    now = at or clock.now()
    live = TicketSla.objects.filter(shop=shop, policy__isnull=False).exclude(
        ticket__status__in=FINISHED
    )
    updated = 0
    for ticket_sla in live.filter(calendar__isnull=True).select_related("ticket"):
        sla_update(ticket_sla.ticket, at=now)
        updated += 1
    calendar_ids = sorted(
        set(live.exclude(calendar__isnull=True).values_list("calendar_id", flat=True))
    )
    for calendar in BusinessCalendar.objects.filter(pk__in=calendar_ids).prefetch_related("days"):
        rows = live.filter(calendar=calendar)
        bounds = rows.aggregate(
            n=Count("pk"),
            first=Min("ticket__created_at"),
            last=Max("ticket__created_at"),
            next_last=Max("next_from"),
            paused=Max("paused_seconds"),
            res=Max("policy__resolution_minutes"),
            nxt=Max("policy__next_response_minutes"),
            frs=Max("policy__first_response_minutes"),
        )
        if bounds["first"] is None:
            continue
        hours = hours_of(calendar)
        assert hours is not None
        last = max(bounds["last"], bounds["next_last"] or bounds["last"])
        reach = max(bounds["res"], bounds["nxt"], bounds["frs"]) * 60 + bounds["paused"]
        spans = _spans(hours, bounds["first"], last, reach)
        if _pg():
            with connection.cursor() as cursor:
                cursor.execute(
                    _pg_statement(),
                    {
                        "s": [float(a) for a, _, _ in spans],
                        "e": [float(b) for _, b, _ in spans],
                        "c": [float(c) for _, _, c in spans],
                        "rnc": [-float(c) for _, _, c in reversed(spans)],
                        "n": len(spans),
                        "now": now,
                        "shop": shop.pk,
                        "cal": calendar.pk,
                    },
                )
            updated += bounds["n"]
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {SPANS}")
            cursor.execute(f"CREATE TEMP TABLE {SPANS} (s bigint, e bigint, cum bigint)")
            insert = f"INSERT INTO {SPANS} (s, e, cum) VALUES (%s, %s, %s)"  # noqa: S608
            cursor.executemany(insert, spans)
            cursor.execute(f"CREATE INDEX {SPANS}_e ON {SPANS} (e)")
            cursor.execute(f"CREATE INDEX {SPANS}_cum ON {SPANS} (cum)")
            cursor.execute(_statement(), [shop.pk, calendar.pk, now])
            updated += bounds["n"]
            cursor.execute(f"DROP TABLE {SPANS}")
    return updated
