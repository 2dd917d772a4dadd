"""Service desk benchmark on PostgreSQL.

50,000 tickets (times ``--scale``, at least 2,000) over 5,000 members, opened
over the last 30 days, 10,000 of them (a fifth) open with an SLA row on the
office calendar (09:00-12:00 and 13:30-18:00, holidays and a 调休 Saturday);
every member has a tier; the agent's first ticket has 200 timeline entries
and its member 8 recent orders. Generated with ``generate_series``.

- SLA recalculation: ``sla_bulk`` after the shop lengthens its policy and
  adds a holiday, against a bare ``UPDATE service_ticketsla SET updated_at``
  of the same rows, in the same session, median of 5 each (alternating).
  Target: recalculation <= 3 x the bare UPDATE. The recalculated due times
  of a sample are checked against the per-ticket path.
- The desk's reads as the console serves them to an agent (half the
  tickets are their team's): the ticket list as it opens and narrowed to
  the tickets not solved yet (50 a page, newest first, with the pager's
  count), and the ticket page with its 200 entries and the member panel;
  each a GET through Django's test client, middleware, queries and
  template included (bench/service_desk.py). p99 of 200 runs each after 10
  to warm up. Target: under 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from typing import Any

from bench.service_desk import ENTRIES, desk_data, desk_reads

TICKETS = 50_000
OPEN_SHARE = 5  # one ticket in five is open with an SLA
MEMBERS = 5_000
TARGET_RATIO = 3.0
TARGET_P99_MS = 100.0
CST = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 3, 16, 0, tzinfo=CST)


def _exec(sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)


def _one(sql: str, params: Any = None) -> Any:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


def generate(
    shop_id: int, tickets: int, team_id: int, agent_id: int, policy_id: int, cal_id: int
) -> None:
    start = NOW - dt.timedelta(days=30)
    _exec(
        """
        INSERT INTO members_member (shop_id, external_id, name, phone, email, birthday, gender,
            registered_at, registration_channel, language, consent_email, consent_sms,
            consent_in_app, created_at, updated_at)
        SELECT %s, 'SM' || i, 'member ' || i, '', '', NULL, '', %s, 'web', 'zh-hans',
            false, false, true, %s, %s
        FROM generate_series(1, %s) AS i
        """,
        [shop_id, start, start, start, MEMBERS],
    )
    first_member = _one("SELECT min(id) FROM members_member WHERE shop_id = %s", [shop_id])
    # Ticket i: opened at a pseudo-random second of the 30 days; every fifth
    # open (new/open), the rest solved or closed; half on the agent's team.
    _exec(
        """
        INSERT INTO service_ticket (shop_id, number, member_id, channel, subject, topic,
            priority, status, team_id, assignee_id, tags, created_at, updated_at,
            status_changed_at, last_member_message_at)
        SELECT %(shop)s, i, %(m0)s + (i %% %(members)s), 'chat', 'ticket ' || i, 'other',
            'normal',
            CASE WHEN i %% %(share)s = 0 THEN (CASE WHEN i %% 2 = 0 THEN 'open' ELSE 'new' END)
                 WHEN i %% 2 = 0 THEN 'solved' ELSE 'closed' END,
            CASE WHEN i %% 2 = 0 THEN %(team)s ELSE NULL END,
            CASE WHEN i %% 4 = 0 THEN %(agent)s ELSE NULL END,
            '[]'::jsonb, c, c, c, c
        FROM (
            SELECT i, %(start)s::timestamptz
                + make_interval(secs => (i * 7919) %% (30 * 86400)) AS c
            FROM generate_series(1, %(n)s) AS i
        ) g
        """,
        {
            "shop": shop_id,
            "m0": first_member,
            "members": MEMBERS,
            "share": OPEN_SHARE,
            "team": team_id,
            "agent": agent_id,
            "start": start,
            "n": tickets,
        },
    )
    _exec(
        """
        INSERT INTO service_ticketsla (ticket_id, shop_id, policy_id, calendar_id,
            next_paused_base, paused_seconds, updated_at)
        SELECT id, shop_id, %s, %s, 0, 0, %s FROM service_ticket
        WHERE shop_id = %s AND status IN ('new', 'open')
        """,
        [policy_id, cal_id, NOW, shop_id],
    )
    for table in ("service_ticket", "service_ticketsla", "service_ticketentry", "members_member"):
        _exec(f"VACUUM ANALYZE {table}")


def run(args: argparse.Namespace) -> str:
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from patron.core import clock, roles
    from patron.core.models import OperatorMembership, Shop
    from patron.core.services import roles_sync
    from patron.service.calendar import OFFICE_WINDOWS
    from patron.service.models import (
        AgentProfile,
        BusinessCalendar,
        CalendarDay,
        SlaPolicy,
        Team,
        TeamMembership,
        TicketSla,
    )
    from patron.service.services.sla import sla_update
    from patron.service.services.sla_bulk import sla_bulk

    scale = float(getattr(args, "scale", 1.0) or 1.0)
    tickets = max(2000, int(TICKETS * scale))
    clock.freeze(NOW)
    shop = Shop.objects.create(name=f"Bench service {time.time_ns()}")
    roles_sync()
    user = User.objects.create_user(f"bench-agent-{time.time_ns()}")
    OperatorMembership.objects.create(user=user, shop=shop, role=roles.SERVICE_AGENT)
    user = User.objects.get(pk=user.pk)
    agent = AgentProfile.objects.create(shop=shop, user=user, display_name="bench", created_at=NOW)
    team = Team.objects.create(shop=shop, code="desk", name="desk", created_at=NOW)
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    calendar = BusinessCalendar.objects.create(
        shop=shop, name="office", windows=OFFICE_WINDOWS, updated_at=NOW
    )
    CalendarDay.objects.create(
        calendar=calendar, date=dt.date(2026, 11, 14), kind="workday", works_as=0
    )
    policy = SlaPolicy.objects.create(
        shop=shop,
        name="standard",
        position=1,
        first_response_minutes=240,
        next_response_minutes=120,
        resolution_minutes=1440,
    )
    started = time.perf_counter()
    generate(shop.pk, tickets, team.pk, agent.pk, policy.pk, calendar.pk)
    number = desk_data(
        shop_id=shop.pk, agent_id=agent.pk, start=NOW - dt.timedelta(days=30), at=NOW
    )
    generate_s = time.perf_counter() - started
    open_rows = TicketSla.objects.filter(shop=shop).count()
    sla_bulk(shop=shop)  # the first due times (and a warm cache)

    # --- SLA recalculation vs bare UPDATE ------------------------------------
    policy.first_response_minutes, policy.resolution_minutes = 300, 1680
    policy.save()
    CalendarDay.objects.create(calendar=calendar, date=dt.date(2026, 11, 20), kind="holiday")
    bare_sql = (
        "UPDATE service_ticketsla SET updated_at = %s WHERE ticket_id IN (SELECT ts.ticket_id "
        "FROM service_ticketsla ts JOIN service_ticket t ON t.id = ts.ticket_id "
        "WHERE ts.shop_id = %s AND t.status NOT IN ('solved', 'closed'))"
    )
    bare: list[float] = []
    bulk: list[float] = []
    for i in range(5):
        with transaction.atomic():
            started = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(bare_sql, [NOW + dt.timedelta(seconds=i), shop.pk])
            bare.append(time.perf_counter() - started)
        with transaction.atomic():
            started = time.perf_counter()
            n = sla_bulk(shop=shop, at=NOW + dt.timedelta(seconds=i))
            bulk.append(time.perf_counter() - started)
        assert n == open_rows, (n, open_rows)
    bare_s, bulk_s = statistics.median(bare), statistics.median(bulk)
    ratio = bulk_s / bare_s
    fields = ("first_response_due_at", "resolution_due_at", "first_response_warn_at")
    sample = list(TicketSla.objects.filter(shop=shop).order_by("?")[:200].select_related("ticket"))
    mismatches = 0
    for row in sample:
        before = tuple(getattr(row, f) for f in fields)
        after = sla_update(row.ticket)
        if tuple(getattr(after, f) for f in fields) != before:
            mismatches += 1

    # --- the desk's list and a ticket view ------------------------------------
    _exec("VACUUM ANALYZE service_ticketsla")  # the recalculation runs left dead rows

    reads = desk_reads(user=user, number=number)

    ok = ratio <= TARGET_RATIO and mismatches == 0
    lines = [
        "## Service desk",
        "",
        f"{tickets:,} tickets, {open_rows:,} open with SLA rows on the office calendar "
        f"(generated in {generate_s:.1f}s); the agent's ticket with {ENTRIES} entries.",
        "",
        "| measure | median of 5 | target |",
        "|---|---|---|",
        f"| bare `UPDATE` of the {open_rows:,} open SLA rows | {bare_s * 1000:.0f} ms | |",
        f"| `sla_bulk` recalculation of the same rows | {bulk_s * 1000:.0f} ms | |",
        f"| ratio | **{ratio:.2f} x** | <= {TARGET_RATIO:g} x "
        f"{'(met)' if ratio <= TARGET_RATIO else '(MISSED)'} |",
        "",
        f"Sample of {len(sample)} recalculated rows checked against the per-ticket path: "
        f"{mismatches} mismatches.",
        "",
        "| console read (200 runs) | median | p99 | queries | GC runs (longest) | target |",
        "|---|---|---|---|---|---|",
    ]
    for read in reads:
        met = read.p99_ms < TARGET_P99_MS
        ok = ok and met
        lines.append(
            f"| {read.name} | {read.median_ms:.1f} ms | {read.p99_ms:.1f} ms | {read.queries} | "
            f"{read.gc_runs} ({read.gc_max_ms:.1f} ms) | "
            f"p99 < {TARGET_P99_MS:g} ms {'(met)' if met else '(MISSED)'} |"
        )
    lines += [
        "",
        f"All targets {'met' if ok else 'NOT met'}.",
        "",
        "Each read is the console page as the agent gets it (test client: middleware, "
        "queries, template), the client keeping its database connection. What made them "
        "fast (docs/decisions/service-desk-reads.md): the list is read from the partial "
        "index `service_ticket_desk_recent` in its order and stops after 50 rows instead "
        "of joining and sorting all 25,000 visible ones; it joins 2 tables, not 8 "
        "(planning took 6-20 ms); the pager counts 1,000 tickets ahead, not all; the "
        "timeline's attachments are a list per entry; and the worker's start-up heap is "
        "frozen (`gc.freeze()`), which shortened the collector's full passes, the p99 "
        "outliers, from 100-300 ms to 20-60 ms. The figures move with the machine's load.",
    ]
    return "\n".join(lines)
