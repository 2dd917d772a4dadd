"""The console's compensation page and the approval queue: an agent grants,
sees their budget used / left; a lead of the team approves in Approvals;
the analyst reads and grants nothing; other roles see nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import EntryKind as PointsKind
from patron.points.models import LedgerEntry, PointsProgram
from patron.service import services
from patron.service.models import AgentProfile, Compensation, Team, TeamMembership

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(shop: Shop, member: Member, operators: dict[str, User]) -> Any:
    PointsProgram.objects.create(shop=shop)
    team = Team.objects.create(shop=shop, code="a", name="售后一组", created_at=clock.now())
    for role, team_role in (("service_agent", "agent"), ("service_lead", "lead")):
        agent = AgentProfile.objects.create(
            shop=shop, user=operators[role], display_name=role, created_at=clock.now()
        )
        TeamMembership.objects.create(team=team, agent=agent, role=team_role)
    made = services.ticket_open(
        shop=shop, channel="chat", subject="破损", body="盒子压坏了", member=member
    )
    made.team = team
    made.save(update_fields=["team"])
    return made


def adjusted(member: Member) -> list[int]:
    return list(
        LedgerEntry.objects.filter(account__member=member, kind=PointsKind.ADJUST).values_list(
            "points", flat=True
        )
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("service_agent", 200), ("service_lead", 200), ("analyst", 200), ("marketing", 403)],
)
def test_the_page_is_for_service_staff(as_role, ticket, role, status):
    assert as_role(role).get("/console/compensation/").status_code == status


def test_an_agent_grants_within_the_limit_and_sees_the_budget(as_role, ticket, member):
    agent = as_role("service_agent")
    done = agent.post(
        "/console/compensation/grant/",
        {"ticket": ticket.number, "kind": "points", "points": "150", "reason": "破损补偿"},
    )
    assert done.status_code == 302
    assert adjusted(member) == [150]
    page = agent.get("/console/compensation/").content.decode()
    assert "150 / 5000" in page and ">4850<" in page  # the agent's default budget


def test_above_the_limit_the_lead_approves_in_the_queue(as_role, ticket, member):
    as_role("service_agent").post(
        "/console/compensation/grant/",
        {"ticket": ticket.number, "kind": "points", "points": "800", "reason": "严重延误"},
    )
    comp = Compensation.objects.get()
    assert comp.state == "awaiting" and adjusted(member) == []
    agent_queue = as_role("service_agent").get("/console/approvals/")
    assert agent_queue.status_code == 403  # agents do not decide
    lead = as_role("service_lead")
    assert (
        f'data-testid="compensation-{comp.pk}"' in lead.get("/console/approvals/").content.decode()
    )
    decided = lead.post(f"/console/approvals/compensation/{comp.pk}/", {"decision": "approve"})
    assert decided.status_code == 302
    assert adjusted(member) == [800]
    comp.refresh_from_db()
    assert comp.state == "applied"


def test_a_refused_grant_names_the_field_and_saves_nothing(as_role, ticket, member):
    agent = as_role("service_agent")
    for post, field in (
        ({"ticket": "999", "kind": "points", "points": "5", "reason": "x"}, "ticket"),
        ({"ticket": ticket.number, "kind": "points", "points": "0", "reason": "x"}, "points"),
        ({"ticket": ticket.number, "kind": "points", "points": "5", "reason": ""}, "reason"),
        ({"ticket": ticket.number, "kind": "coupon", "reason": "x"}, "coupon_template"),
        ({"ticket": ticket.number, "kind": "points", "points": "6000", "reason": "x"}, "points"),
    ):
        answer = agent.post("/console/compensation/grant/", post)
        assert answer.status_code == 422, post
        assert f'data-field="{field}"' in answer.content.decode(), post
    assert Compensation.objects.count() == 0 and adjusted(member) == []


def test_the_analyst_reads_but_cannot_grant(as_role, ticket):
    analyst = as_role("analyst")
    assert (
        "/console/compensation/grant/" not in analyst.get("/console/compensation/").content.decode()
    )
    assert (
        "/console/compensation/grant/"
        in as_role("service_agent").get("/console/compensation/").content.decode()
    )
    answer = analyst.post(
        "/console/compensation/grant/",
        {"ticket": ticket.number, "kind": "points", "points": "5", "reason": "x"},
    )
    assert answer.status_code == 403
    assert Compensation.objects.count() == 0
