"""Who reads which tickets: agents and leads their teams', analysts every
team's, other roles none."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from patron.core import services as core_services
from patron.core.models import OperatorMembership, Shop
from patron.members.models import Member
from patron.service import selectors, services
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket
from patron.service.tests.conftest import NOON

pytestmark = pytest.mark.django_db


def _operator(shop: Shop, name: str, role: str) -> User:
    user = User.objects.create_user(name, password="x" * 12)
    OperatorMembership.objects.create(user=user, shop=shop, role=role)
    return user


def _agent(shop: Shop, user: User, team: Team | None, role: str = "agent") -> AgentProfile:
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name=user.username, created_at=NOON
    )
    if team is not None:
        TeamMembership.objects.create(team=team, agent=agent, role=role)
    return agent


def _ticket(shop: Shop, member: Member, team: Team | None, subject: str) -> Ticket:
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject=subject, body="b", member=member
    )
    ticket.team = team
    ticket.save()
    return ticket


def _subjects(user: User, shop: Shop) -> set[str]:
    return {t.subject for t in selectors.tickets_visible(user, shop.pk)}


def test_each_role_sees_its_teams_tickets(shop: Shop, member: Member) -> None:
    core_services.roles_sync()
    presale = Team.objects.create(shop=shop, code="pre", name="售前", created_at=NOON)
    vip = Team.objects.create(shop=shop, code="vip", name="VIP", created_at=NOON)
    _ticket(shop, member, presale, "pre")
    _ticket(shop, member, vip, "vip")
    _ticket(shop, member, None, "unrouted")

    agent_user = _operator(shop, "agent", "service_agent")
    agent = _agent(shop, agent_user, presale)
    lead_user = _operator(shop, "lead", "service_lead")
    _agent(shop, lead_user, vip, role="lead")
    analyst = _operator(shop, "analyst", "analyst")
    marketing = _operator(shop, "marketing", "marketing")
    no_profile = _operator(shop, "agent2", "service_agent")

    assert _subjects(agent_user, shop) == {"pre"}
    assert _subjects(lead_user, shop) == {"vip"}
    assert _subjects(analyst, shop) == {"pre", "vip", "unrouted"}
    assert _subjects(marketing, shop) == set()
    assert _subjects(no_profile, shop) == set()

    # a ticket assigned to the agent is theirs wherever it is routed
    unrouted = Ticket.objects.get(subject="unrouted")
    unrouted.assignee = agent
    unrouted.save()
    assert _subjects(agent_user, shop) == {"pre", "unrouted"}

    # roles count in their shop only
    other = Shop.objects.create(name="别家")
    assert _subjects(analyst, other) == set()
