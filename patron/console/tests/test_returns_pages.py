"""The console's returns desk: who sees which request, who may move it, and
an agent working a return from request to refund."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import EntryKind as PointsKind
from patron.points.models import LedgerEntry
from patron.service import services
from patron.service.models import (
    AgentProfile,
    ReturnRequest,
    ReturnState,
    Team,
    TeamMembership,
)
from patron.service.tests.returns_helpers import delivered_order, earning, refunded

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return delivered_order(shop, member)


def profile(user: User, shop: Shop, team: Team, role: str = "agent") -> AgentProfile:
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name=user.username, created_at=clock.now()
    )
    TeamMembership.objects.create(team=team, agent=agent, role=role)
    return agent


@pytest.fixture
def teams(shop: Shop, operators: dict[str, User]) -> dict[str, Team]:
    """The agent works team A; the lead leads team B."""
    made = {
        code: Team.objects.create(shop=shop, code=code, name=code, created_at=clock.now())
        for code in ("a", "b")
    }
    profile(operators["service_agent"], shop, made["a"])
    profile(operators["service_lead"], shop, made["b"], role="lead")
    return made


def request_on(member: Member, team: Team | None = None) -> ReturnRequest:
    ticket = None
    if team is not None:
        ticket = services.ticket_open(
            shop=member.shop, channel="chat", subject="退货", body="退货", member=member
        )
        ticket.team = team
        ticket.save(update_fields=["team"])
    return services.return_request(
        member=member,
        order_id="O1",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="defective",
        ticket=ticket,
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("service_agent", 200),
        ("service_lead", 200),
        ("analyst", 200),
        ("admin", 200),
        ("marketing", 403),
        ("finance", 403),
    ],
)
def test_the_returns_list_is_for_service_staff(as_role, teams, member, order, role, status):
    request = request_on(member)
    assert as_role(role).get("/console/returns/").status_code == status
    assert as_role(role).get(f"/console/returns/{request.pk}/").status_code == status


def test_an_agent_sees_only_requests_on_their_teams_tickets(as_role, teams, member, order):
    ours, theirs = request_on(member, teams["a"]), request_on(member, teams["b"])
    agent = as_role("service_agent")
    listed = agent.get("/console/returns/").content.decode()
    assert ours.reference in listed and theirs.reference not in listed
    assert agent.get(f"/console/returns/{theirs.pk}/").status_code == 404
    moved = agent.post(f"/console/returns/{theirs.pk}/act/", {"action": "approve"})
    assert moved.status_code == 404
    assert ReturnRequest.objects.get(pk=theirs.pk).state == ReturnState.REQUESTED
    lead = as_role("service_lead")
    assert lead.get(f"/console/returns/{theirs.pk}/").status_code == 200
    assert lead.get(f"/console/returns/{ours.pk}/").status_code == 404
    analyst = as_role("analyst").get("/console/returns/").content.decode()
    assert ours.reference in analyst and theirs.reference in analyst


def test_the_analyst_reads_but_cannot_move_a_request(as_role, teams, member, order):
    request = request_on(member, teams["a"])
    analyst = as_role("analyst")
    page = analyst.get(f"/console/returns/{request.pk}/").content.decode()
    assert 'data-testid="act-approve"' not in page
    assert (
        analyst.post(f"/console/returns/{request.pk}/act/", {"action": "approve"}).status_code
        == 403
    )
    assert ReturnRequest.objects.get(pk=request.pk).state == ReturnState.REQUESTED


def test_an_agent_works_a_return_from_request_to_refund(as_role, teams, shop, member, order):
    request = request_on(member, teams["a"])
    agent = as_role("service_agent")
    url = f"/console/returns/{request.pk}/"
    assert 'data-testid="act-approve"' in agent.get(url).content.decode()
    for step in (
        {"action": "approve"},
        {"action": "goods_sent", "carrier": "顺丰", "tracking_number": "SF1"},
        {"action": "receive"},
        {"action": "refund"},
    ):
        answer = agent.post(url + "act/", step)
        assert answer.status_code == 302, answer.content.decode()[:500]
    request.refresh_from_db()
    assert request.state == ReturnState.REFUND_REQUESTED
    approved_by = request.steps.get(to_state="approved").agent
    assert approved_by is not None and approved_by.user.username == "service_agent"
    refunded(shop, member, request.refund_id, {"L1": 1})
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    reversed_ = LedgerEntry.objects.filter(account__member=member, kind=PointsKind.REVERSE)
    assert sum(e.points for e in reversed_) == -100


def test_a_refused_step_names_the_field_and_changes_nothing(as_role, teams, member, order):
    request = request_on(member, teams["a"])
    agent = as_role("service_agent")
    url = f"/console/returns/{request.pk}/act/"
    no_reason = agent.post(url, {"action": "refuse", "reason": ""})
    assert no_reason.status_code == 422 and 'data-field="reason"' in no_reason.content.decode()
    early = agent.post(url, {"action": "receive"})
    assert early.status_code == 409 and 'data-field="state"' in early.content.decode()
    unknown = agent.post(url, {"action": "fly"})
    assert unknown.status_code == 422 and 'data-field="action"' in unknown.content.decode()
    assert list(
        ReturnRequest.objects.get(pk=request.pk).steps.values_list("to_state", flat=True)
    ) == ["requested"]
