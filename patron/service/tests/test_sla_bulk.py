"""The set-based recalculation gives exactly the due times the per-ticket
path gives, for new, answered, waiting and paused tickets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.calendar import OFFICE_WINDOWS
from patron.service.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarDay,
    SlaPolicy,
    Ticket,
    TicketSla,
)
from patron.service.services import agent_reply, member_writes, sla_update, ticket_open
from patron.service.services.sla_bulk import sla_bulk

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)
FIELDS = [
    f"{t}_{k}"
    for t in ("first_response", "next_response", "resolution")
    for k in ("due_at", "warn_at", "breached_at")
]


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, day, hh, mm, tzinfo=SH)


def snapshot() -> dict[int, tuple[object, ...]]:
    return {
        s.ticket_id: tuple(getattr(s, f) for f in FIELDS) for s in TicketSla.objects.order_by("pk")
    }


def test_bulk_matches_the_per_ticket_path(shop: Shop, member: Member, agent: AgentProfile) -> None:
    office = BusinessCalendar.objects.create(
        shop=shop, name="office", windows=OFFICE_WINDOWS, updated_at=NOON
    )
    policy = SlaPolicy.objects.create(
        shop=shop,
        name="standard",
        position=1,
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=600,
    )

    def open_at(when: dt.datetime) -> Ticket:
        clock.freeze(when)
        return ticket_open(shop=shop, channel="chat", subject="s", body="b", member=member)

    fresh = [open_at(at(3, h, m)) for h, m in ((8, 0), (10, 15), (11, 59), (12, 30), (17, 45))]
    answered = open_at(at(3, 9, 30))
    clock.freeze(at(3, 9, 40))
    agent_reply(ticket=answered, agent=agent, body="hi")
    clock.freeze(at(3, 11, 50))
    member_writes(ticket=answered, body="and?")
    paused = open_at(at(3, 10))
    clock.freeze(at(3, 10, 30))
    agent_reply(ticket=paused, agent=agent, body="photo?", status="pending")
    clock.freeze(at(4, 9, 15))
    member_writes(ticket=paused, body="here")
    solved = open_at(at(3, 10))
    clock.freeze(at(3, 10, 5))
    agent_reply(ticket=solved, agent=agent, body="done", status="solved")
    assert len(fresh) == 5

    # The shop edits: longer targets, Friday off, Saturday works.
    policy.first_response_minutes = 90
    policy.next_response_minutes = 45
    policy.resolution_minutes = 720
    policy.save()
    CalendarDay.objects.create(calendar=office, date=dt.date(2026, 12, 4), kind="holiday")
    CalendarDay.objects.create(
        calendar=office, date=dt.date(2026, 12, 5), kind="workday", works_as=2
    )
    before = snapshot()
    clock.freeze(at(4, 9, 30))
    assert sla_bulk(shop=shop) == 7  # the solved one is left alone
    bulk = snapshot()
    assert bulk[solved.pk] == before[solved.pk]
    assert bulk[fresh[0].pk] != before[fresh[0].pk]
    assert bulk[fresh[1].pk][0] == at(3, 11, 45)
    for ticket in Ticket.objects.all():
        sla_update(ticket)
    assert snapshot() == bulk
