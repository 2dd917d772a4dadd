"""seed-demo gives the shop an office calendar and SLA policies with Diamond
and Gold first, so a demo ticket has due times."""

from __future__ import annotations

import pytest

from patron.demo.data import demo_seed
from patron.service.models import BusinessCalendar, CalendarDay, SlaPolicy, TicketSla
from patron.service.services import ticket_open

pytestmark = pytest.mark.django_db


def test_demo_seeds_calendar_and_policies() -> None:
    ctx = demo_seed(members=20, orders=100, seed=5)
    assert ctx.shop is not None
    calendar = BusinessCalendar.objects.get(shop=ctx.shop, team=None)
    assert calendar.windows["0"] == [["09:00", "12:00"], ["13:30", "18:00"]]
    assert set(CalendarDay.objects.filter(calendar=calendar).values_list("kind", flat=True)) == {
        "holiday",
        "workday",
    }
    policies = list(SlaPolicy.objects.filter(shop=ctx.shop).order_by("position"))
    assert [p.tier.code for p in policies if p.tier] == ["diamond", "gold"]
    assert ctx.summary["sla_policies"] == len(policies)
    member = ctx.members[0]
    ticket = ticket_open(shop=ctx.shop, channel="chat", subject="s", body="b", member=member)
    assert TicketSla.objects.get(ticket=ticket).first_response_due_at is not None
