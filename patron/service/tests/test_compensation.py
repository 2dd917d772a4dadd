"""Compensation: within the agent's limit it applies at once; above it a lead
of the ticket's team approves (never the requester); budgets per agent and
team per month refuse what would overrun them; all of it in the member's
history, the ticket's timeline and the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import AuditLog, OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.points.models import EntryKind as PointsKind
from patron.points.models import LedgerEntry, PointsProgram
from patron.promotions.models import Coupon
from patron.promotions.tests.conftest import make_template
from patron.service import services
from patron.service.models import (
    AgentCompensation,
    AgentProfile,
    Compensation,
    EntryKind,
    Team,
    TeamCompensation,
    TeamMembership,
    Ticket,
    TicketEntry,
)
from patron.service.tests.conftest import NOON

pytestmark = pytest.mark.django_db


def operator(shop: Shop, name: str, role: str) -> User:
    roles_sync()
    user = User.objects.create_user(name, password="x" * 12)
    OperatorMembership.objects.create(user=user, shop=shop, role=role)
    return user


@pytest.fixture
def team(shop: Shop) -> Team:
    return Team.objects.create(shop=shop, code="after", name="售后", created_at=NOON)


@pytest.fixture
def desk(shop: Shop, team: Team, member: Member) -> dict[str, Any]:
    PointsProgram.objects.create(shop=shop)
    agent_user = operator(shop, "xiaowang", "service_agent")
    lead_user = operator(shop, "laoli", "service_lead")
    agent = AgentProfile.objects.create(
        shop=shop, user=agent_user, display_name="小王", created_at=NOON
    )
    lead = AgentProfile.objects.create(
        shop=shop, user=lead_user, display_name="老李", created_at=NOON
    )
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    TeamMembership.objects.create(team=team, agent=lead, role="lead")
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="快递太慢", body="等了一周", member=member
    )
    ticket.team = team
    ticket.save(update_fields=["team"])
    return {
        "agent": agent,
        "lead": lead,
        "ticket": ticket,
        "agent_user": agent_user,
        "lead_user": lead_user,
    }


def grant(desk: dict[str, Any], **kw: Any) -> Compensation:
    args: dict[str, Any] = {
        "ticket": desk["ticket"],
        "agent": desk["agent"],
        "kind": "points",
        "points": 100,
        "reason": "物流延误补偿",
        "actor": desk["agent_user"],
    }
    args.update(kw)
    return services.compensation_grant(**args)


def adjusted(member: Member) -> list[int]:
    return list(
        LedgerEntry.objects.filter(account__member=member, kind=PointsKind.ADJUST)
        .order_by("pk")
        .values_list("points", flat=True)
    )


def actions(ticket: Ticket) -> list[str]:
    return [
        e.data["action"]
        for e in TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.ACTION).order_by("pk")
    ]


def test_within_the_agents_limit_points_land_at_once_in_the_members_history(desk, member):
    comp = grant(desk, points=200)  # the agent's default limit is 200
    assert comp.state == "applied"
    assert adjusted(member) == [200]
    assert comp.ledger_entry is not None
    entry = comp.ledger_entry
    assert (entry.reason_code, entry.reason_params["note"]) == ("adjust", "物流延误补偿")
    assert actions(desk["ticket"]) == ["compensation.granted"]
    assert AuditLog.objects.filter(action="service.compensation_grant").count() == 1


def test_above_the_limit_a_lead_of_the_team_approves(desk, member, shop):
    comp = grant(desk, points=201)
    assert comp.state == "awaiting" and adjusted(member) == []
    with pytest.raises(PatronError) as own:  # the requester never decides
        services.compensation_approve(compensation=comp, actor=desk["agent_user"])
    assert own.value.code == "forbidden"
    other_lead = operator(shop, "other", "service_lead")
    AgentProfile.objects.create(shop=shop, user=other_lead, display_name="x", created_at=NOON)
    with pytest.raises(PatronError) as stranger:  # a lead, but of no team of this ticket
        services.compensation_approve(compensation=comp, actor=other_lead)
    assert stranger.value.code == "forbidden"
    done = services.compensation_approve(compensation=comp, actor=desk["lead_user"])
    assert (done.state, done.decided_by) == ("applied", desk["lead_user"])
    assert adjusted(member) == [201]
    assert actions(desk["ticket"]) == ["compensation.requested", "compensation.approved"]
    with pytest.raises(PatronError) as twice:
        services.compensation_approve(compensation=comp, actor=desk["lead_user"])
    assert twice.value.code == "invalid_transition"


def test_a_lead_granting_has_the_leads_limit_and_a_rejection_gives_nothing(desk, member):
    by_lead = grant(desk, agent=desk["lead"], actor=desk["lead_user"], points=2000)
    assert by_lead.state == "applied"
    comp = grant(desk, points=500)
    rejected = services.compensation_reject(compensation=comp, actor=desk["lead_user"], note="太多")
    assert rejected.state == "rejected"
    assert adjusted(member) == [2000]
    assert services.agent_budget(desk["agent"], "points").used == 0  # rejected: not counted


def test_an_agents_own_limit_overrides_the_roles(desk, member):
    AgentCompensation.objects.create(agent=desk["agent"], points_limit=50)
    assert grant(desk, points=60).state == "awaiting"


def test_the_agents_monthly_budget_refuses_what_would_overrun_it(desk, member):
    AgentCompensation.objects.create(agent=desk["agent"], monthly_points=450)
    grant(desk, points=200)
    grant(desk, points=201)  # waiting for approval: counts against the budget
    budget = services.agent_budget(desk["agent"], "points")
    assert (budget.budget, budget.used, budget.left) == (450, 401, 49)
    with pytest.raises(PatronError) as refused:
        grant(desk, points=50)
    assert (refused.value.code, refused.value.field) == ("limit_reached", "points")
    assert Compensation.objects.count() == 2 and adjusted(member) == [200]
    clock.freeze(dt.datetime(2027, 1, 1, 0, 0, tzinfo=dt.UTC))  # a new month (Shanghai: 08:00)
    assert grant(desk, points=50).state == "applied"


def test_the_teams_monthly_budget_refuses_too(desk, member):
    TeamCompensation.objects.create(team=desk["ticket"].team, monthly_points=300)
    grant(desk, agent=desk["lead"], actor=desk["lead_user"], points=250)
    team = services.team_budget(desk["ticket"].team, "points")
    assert (team.used, team.left) == (250, 50)
    with pytest.raises(PatronError) as refused:
        grant(desk, points=100)
    assert (refused.value.code, refused.value.field) == ("limit_reached", "points")
    assert adjusted(member) == [250]


def test_a_coupon_within_the_limit_is_issued_and_a_bigger_one_waits(desk, member, shop):
    small = make_template(shop, amount=1000)
    big = make_template(shop, amount=5000)
    comp = grant(desk, kind="coupon", coupon_template=small)
    assert comp.state == "applied" and comp.value == 1000
    assert comp.coupon is not None
    coupon = comp.coupon
    assert (coupon.member, coupon.template, coupon.source) == (member, small, "operator")
    waiting = grant(desk, kind="coupon", coupon_template=big)
    assert waiting.state == "awaiting" and waiting.coupon_id is None
    done = services.compensation_approve(compensation=waiting, actor=desk["lead_user"])
    assert Coupon.objects.filter(member=member, template=big).count() == 1 and done.coupon_id


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"reason": " "}, "reason"),
        ({"points": 0}, "points"),
        ({"points": -5}, "points"),
        ({"kind": "cash"}, "kind"),
        ({"kind": "coupon", "coupon_template": None}, "coupon_template"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(desk, member, kw, field):
    with pytest.raises(PatronError) as refused:
        grant(desk, **kw)
    assert refused.value.field == field
    assert Compensation.objects.count() == 0 and adjusted(member) == []


def test_a_free_shipping_coupon_has_no_value_to_budget(desk, shop):
    free = make_template(shop, type="free_shipping", amount=0)
    with pytest.raises(PatronError) as refused:
        grant(desk, kind="coupon", coupon_template=free)
    assert refused.value.field == "coupon_template"


def test_only_an_agent_of_the_tickets_team_with_a_member_grants(desk, shop, member):
    outsider = AgentProfile.objects.create(
        shop=shop, user=operator(shop, "o", "service_agent"), display_name="o", created_at=NOON
    )
    with pytest.raises(PatronError) as refused:
        grant(desk, agent=outsider)
    assert refused.value.field == "ticket"
    anonymous = services.ticket_open(
        shop=shop,
        channel="email",
        subject="?",
        body="?",
        contact=services.contact_get_or_create(shop=shop, channel="email", handle="a@b.cn"),
    )
    anonymous.team = desk["ticket"].team
    anonymous.save(update_fields=["team"])
    with pytest.raises(PatronError) as no_member:
        grant(desk, ticket=anonymous)
    assert no_member.value.field == "ticket"
    analyst = operator(shop, "ana", "analyst")
    with pytest.raises(PatronError) as reader:
        grant(desk, actor=analyst)
    assert reader.value.code == "forbidden"
    assert Compensation.objects.count() == 0
