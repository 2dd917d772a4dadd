"""SLA due times of tickets: the first matching policy sets the targets, the
team's (or shop's) business calendar turns them into moments, and pauses
(pending, on hold, solved) push them later by the business time spent.

``sla_update`` is the one call the conversation paths make after a ticket
changes; ``sla_scan`` (a periodic job) records warnings and breaches over
sets of rows; ``sla_recalculate`` redoes the targets of open tickets after
a policy, calendar or tier change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from patron.core import clock
from patron.core.models import Shop
from patron.service.calendar import Hours, business_add_seconds, business_seconds_between
from patron.service.calendar import parse_windows as _parse_windows
from patron.service.models import (
    BusinessCalendar,
    DayKind,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SlaWarning,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketPriority,
    TicketSla,
    TicketStatus,
)
from patron.tiers.models import MemberTier, Tier

#: Statuses in which the SLA clock stops (waiting on the member or a third
#: party; solved, until the member writes again).
CLOCK_STOPPED = (TicketStatus.PENDING, TicketStatus.ON_HOLD, TicketStatus.SOLVED)
#: Statuses with no resolution target left to meet.
FINISHED = (TicketStatus.SOLVED, TicketStatus.CLOSED)

TARGETS = (SlaTarget.FIRST_RESPONSE, SlaTarget.NEXT_RESPONSE, SlaTarget.RESOLUTION)


def warn_percent() -> int:
    """How far into a target (percent) the assignee and lead are warned."""
    return int(getattr(settings, "SERVICE_SLA_WARN_PERCENT", 80))


# --- calendars --------------------------------------------------------------


def hours_of(calendar: BusinessCalendar | None) -> Hours | None:
    """The pure ``Hours`` of a calendar row (None: round the clock)."""
    if calendar is None:
        return None
    holidays: set[dt.date] = set()
    workdays: dict[dt.date, int] = {}
    for day in calendar.days.all():
        if day.kind == DayKind.WORKDAY and day.works_as is not None:
            workdays[day.date] = day.works_as
        else:
            holidays.add(day.date)
    return Hours(
        calendar.time_zone, _parse_windows(calendar.windows), frozenset(holidays), workdays
    )


def _add(start: dt.datetime, seconds: int, hours: Hours | None) -> dt.datetime:
    if hours is None:
        return start + dt.timedelta(seconds=seconds)
    return business_add_seconds(start, seconds, hours)


def _between(a: dt.datetime, b: dt.datetime, hours: Hours | None) -> int:
    if hours is None:
        return max(0, int((b - a).total_seconds()))
    return business_seconds_between(a, b, hours)


def calendar_for(ticket: Ticket) -> BusinessCalendar | None:
    """The team's own calendar, else the shop's default, else none."""
    found = None
    if ticket.team_id is not None:
        found = BusinessCalendar.objects.filter(team_id=ticket.team_id).first()
    if found is None:
        found = BusinessCalendar.objects.filter(shop_id=ticket.shop_id, team__isnull=True).first()
    return found


# --- policies ---------------------------------------------------------------


def _tier_id(ticket: Ticket) -> int | None:
    if ticket.member_id is None:
        return None
    return (
        MemberTier.objects.filter(member_id=ticket.member_id)
        .values_list("tier_id", flat=True)
        .first()
    )


def policy_match(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy (by position) whose tier, priority and channel
    match the ticket; an empty field matches anything."""
    tier_id = _tier_id(ticket)
    tier_q = Q(tier__isnull=True) | Q(tier_id=tier_id) if tier_id else Q(tier__isnull=True)
    return (
        SlaPolicy.objects.filter(shop_id=ticket.shop_id, active=True)
        .filter(tier_q)
        .filter(Q(priority="") | Q(priority=ticket.priority))
        .filter(Q(channel="") | Q(channel=ticket.channel))
        .order_by("position", "id")
        .first()
    )


#: (tier code or "", priority or "", first response, next response, resolution)
DEFAULT_POLICIES: list[tuple[str, str, int, int, int]] = [
    ("diamond", "", 15, 30, 8 * 60),
    ("gold", "", 30, 60, 12 * 60),
    ("", TicketPriority.URGENT, 30, 60, 8 * 60),
    ("", "", 4 * 60, 8 * 60, 3 * 8 * 60),
]


@transaction.atomic
def sla_policies_default(*, shop: Shop) -> list[SlaPolicy]:
    """Seed the defaults once (a shop that has policies keeps them):
    Diamond, then Gold, then urgent tickets, then everyone else."""
    existing = list(SlaPolicy.objects.filter(shop=shop).order_by("position", "id"))
    if existing:
        return existing
    tiers = {t.code: t for t in Tier.objects.filter(shop=shop)}
    made = []
    for position, (code, priority, first, nxt, resolution) in enumerate(DEFAULT_POLICIES):
        if code and code not in tiers:
            continue
        name = code.capitalize() if code else (priority.capitalize() if priority else "Standard")
        made.append(
            SlaPolicy.objects.create(
                shop=shop,
                name=name,
                position=(position + 1) * 10,
                tier=tiers.get(code) if code else None,
                priority=priority,
                channel="",
                first_response_minutes=first,
                next_response_minutes=nxt,
                resolution_minutes=resolution,
            )
        )
    return made


# --- one ticket -------------------------------------------------------------


def _breach(sla: TicketSla, target: str, due: dt.datetime, now: dt.datetime) -> None:
    SlaBreach.objects.get_or_create(
        ticket_id=sla.ticket_id,
        target=target,
        due_at=due,
        defaults={"shop_id": sla.shop_id, "breached_at": due, "recorded_at": now},
    )
    setattr(sla, f"{target}_breached_at", due)


def _set_target(
    sla: TicketSla, target: str, due: dt.datetime | None, warn: dt.datetime | None
) -> None:
    old_due = getattr(sla, f"{target}_due_at")
    old_warn = getattr(sla, f"{target}_warn_at")
    if due is not None and due == old_due and old_warn is None:
        warn = None  # already warned for this due time
    if due != old_due:
        setattr(sla, f"{target}_breached_at", None)
    setattr(sla, f"{target}_due_at", due)
    setattr(sla, f"{target}_warn_at", warn)


def _times(
    base: dt.datetime, minutes: int, paused: int, hours: Hours | None
) -> tuple[dt.datetime, dt.datetime]:
    seconds = minutes * 60
    due = _add(base, seconds + paused, hours)
    warn = _add(base, seconds * warn_percent() // 100 + paused, hours)
    return due, warn


def sla_update(
    ticket: Ticket, *, at: dt.datetime | None = None, rematch: bool = False
) -> TicketSla:
    """Bring the ticket's SLA row up to date with the ticket as saved:
    pause or resume the clock, set or clear each target's due time, and
    record a breach when a target was met late. ``rematch`` picks the
    policy and calendar again (a tier, priority, team or policy change)."""
    now = at or clock.now()
    sla, created = TicketSla.objects.get_or_create(
        ticket=ticket, defaults={"shop_id": ticket.shop_id, "updated_at": now}
    )
    if created or rematch:
        sla.policy = policy_match(ticket)
        sla.calendar = calendar_for(ticket)
    hours = hours_of(sla.calendar)
    stopped = ticket.status in CLOCK_STOPPED or ticket.status == TicketStatus.CLOSED
    if stopped and sla.paused_since is None:
        sla.paused_since = now
    elif not stopped and sla.paused_since is not None:
        sla.paused_seconds += _between(sla.paused_since, now, hours)
        sla.paused_since = None
    _compute(sla, ticket, hours, now)
    sla.updated_at = now
    sla.save()
    return sla


def _compute(sla: TicketSla, ticket: Ticket, hours: Hours | None, now: dt.datetime) -> None:
    policy = sla.policy
    if policy is None:
        for target in TARGETS:
            _set_target(sla, target, None, None)
        sla.next_from = None
        return
    paused = sla.paused_seconds
    # First response: from opening until the first public reply.
    due, warn = _times(ticket.created_at, policy.first_response_minutes, paused, hours)
    if ticket.first_response_at is None:
        _set_target(sla, SlaTarget.FIRST_RESPONSE, due, warn)
    else:
        # Met (or missed) once: the due time it was held to stays.
        due = sla.first_response_due_at or due
        _set_target(sla, SlaTarget.FIRST_RESPONSE, due, None)
        if ticket.first_response_at > due and sla.first_response_breached_at is None:
            _breach(sla, SlaTarget.FIRST_RESPONSE, due, now)
    # Next response: from a member message after a reply until the next reply.
    waiting = (
        ticket.first_response_at is not None
        and ticket.last_member_message_at is not None
        and (ticket.last_reply_at is None or ticket.last_member_message_at > ticket.last_reply_at)
        and ticket.status not in FINISHED
    )
    if waiting:
        assert ticket.last_member_message_at is not None
        if sla.next_from != ticket.last_member_message_at:
            sla.next_from = ticket.last_member_message_at
            sla.next_paused_base = paused
        due, warn = _times(
            sla.next_from, policy.next_response_minutes, paused - sla.next_paused_base, hours
        )
        _set_target(sla, SlaTarget.NEXT_RESPONSE, due, warn)
    else:
        due_next = sla.next_response_due_at
        if (
            sla.next_from is not None
            and due_next is not None
            and ticket.last_reply_at is not None
            and ticket.last_reply_at > due_next
            and sla.next_response_breached_at is None
        ):
            _breach(sla, SlaTarget.NEXT_RESPONSE, due_next, now)
        sla.next_from = None
        sla.next_response_due_at = None
        sla.next_response_warn_at = None
    # Resolution: from opening until solved, less the paused time.
    due, warn = _times(ticket.created_at, policy.resolution_minutes, paused, hours)
    if ticket.status in FINISHED:
        _set_target(sla, SlaTarget.RESOLUTION, sla.resolution_due_at or due, None)
        solved = ticket.solved_at or ticket.closed_at
        if (
            solved is not None
            and sla.resolution_due_at is not None
            and solved > sla.resolution_due_at
            and sla.resolution_breached_at is None
        ):
            _breach(sla, SlaTarget.RESOLUTION, sla.resolution_due_at, now)
    else:
        _set_target(sla, SlaTarget.RESOLUTION, due, warn)


# --- many tickets -----------------------------------------------------------

OPEN_STATUSES = [s for s in TicketStatus.values if s not in FINISHED]


def sla_recalculate(tickets: Iterable[Ticket], *, at: dt.datetime | None = None) -> int:
    """Pick policy and calendar again and recompute the due times of each
    ticket (after a tier change or an edit of one ticket's priority or team).
    For whole shops after a policy or calendar edit see ``sla_bulk``."""
    n = 0
    with transaction.atomic():
        for ticket in tickets:
            sla_update(ticket, at=at, rematch=True)
            n += 1
    return n


def sla_tier_changed(shop_id: int, member_ids: list[int]) -> None:
    """Tiers' listener: the open tickets of these members get the targets
    of their new tier."""
    # One query when they have none (the common case on the event path).
    tickets = list(
        Ticket.objects.filter(
            shop_id=shop_id, member_id__in=member_ids, status__in=OPEN_STATUSES
        ).order_by("pk")
    )
    if tickets:
        sla_recalculate(tickets)


def _recipients(rows: list[tuple[int, int | None, int | None]]) -> dict[int, set[int]]:
    """ticket id -> agent ids to warn: the assignee and the leads of its team."""
    team_ids = {team for _, _, team in rows if team is not None}
    leads: dict[int, set[int]] = {}
    for team_id, agent_id in TeamMembership.objects.filter(
        team_id__in=team_ids, role=TeamRole.LEAD
    ).values_list("team_id", "agent_id"):
        leads.setdefault(team_id, set()).add(agent_id)
    out: dict[int, set[int]] = {}
    for ticket_id, assignee, team in rows:
        who = set(leads.get(team, set())) if team is not None else set()
        if assignee is not None:
            who.add(assignee)
        out[ticket_id] = who
    return out


_PENDING: dict[str, Q] = {
    SlaTarget.FIRST_RESPONSE: Q(ticket__first_response_at__isnull=True),
    SlaTarget.NEXT_RESPONSE: Q(next_from__isnull=False),
    SlaTarget.RESOLUTION: Q(),
}


@transaction.atomic
def sla_scan(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Warnings and breaches that came due, over sets: per target one query
    for the rows, one bulk insert and one update. Paused and finished
    tickets are skipped; each (ticket, target, due time) is warned and
    breached once. A breach is recorded at its due time, when it happened."""
    now = now or clock.now()
    counts = {"warnings": 0, "breaches": 0}
    live = Q(paused_since__isnull=True) & ~Q(ticket__status__in=FINISHED)
    for target in TARGETS:
        due_f, warn_f, breached_f = f"{target}_due_at", f"{target}_warn_at", f"{target}_breached_at"
        # Warnings first: a row due now was warned too (once), so no one
        # learns of a breach before the warning that should have preceded it.
        rows = list(
            TicketSla.objects.filter(live, _PENDING[target], **{f"{warn_f}__lte": now})
            .values_list("ticket_id", "shop_id", due_f, "ticket__assignee_id", "ticket__team_id")
            .order_by("ticket_id")
        )
        if rows:
            who = _recipients([(t, a, team) for t, _, _, a, team in rows])
            warnings = [
                SlaWarning(
                    shop_id=shop_id,
                    ticket_id=t,
                    agent_id=agent,
                    target=target,
                    due_at=due,
                    created_at=now,
                )
                for t, shop_id, due, _, _ in rows
                for agent in sorted(who[t])
            ]
            SlaWarning.objects.bulk_create(warnings, ignore_conflicts=True)
            TicketSla.objects.filter(pk__in=[r[0] for r in rows]).update(**{warn_f: None})
            counts["warnings"] += len(warnings)
        due_q = Q(**{f"{due_f}__lte": now, f"{breached_f}__isnull": True})
        rows = list(
            TicketSla.objects.filter(live, _PENDING[target], due_q)
            .values_list("ticket_id", "shop_id", due_f)
            .order_by("ticket_id")
        )
        if rows:
            SlaBreach.objects.bulk_create(
                [
                    SlaBreach(
                        shop_id=shop_id,
                        ticket_id=t,
                        target=target,
                        due_at=due,
                        breached_at=due,
                        recorded_at=now,
                    )
                    for t, shop_id, due in rows
                ],
                ignore_conflicts=True,
            )
            TicketSla.objects.filter(pk__in=[r[0] for r in rows]).update(
                **{breached_f: F(due_f), warn_f: None}
            )
            counts["breaches"] += len(rows)
    return counts


__all__ = [
    "CLOCK_STOPPED",
    "DEFAULT_POLICIES",
    "calendar_for",
    "hours_of",
    "policy_match",
    "sla_policies_default",
    "sla_recalculate",
    "sla_scan",
    "sla_tier_changed",
    "sla_update",
]
