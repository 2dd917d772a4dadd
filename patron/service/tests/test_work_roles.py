"""Roles on ticket work: agents and leads work tickets, an analyst reads but
cannot reply or change one; a lead reassigns within their team."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from patron.core import services as core_services
from patron.core.errors import PatronError
from patron.core.models import OperatorMembership, Shop
from patron.members.models import Member
from patron.service import selectors, services
from patron.service.models import AgentProfile, TeamMembership
from patron.service.tests.conftest import NOON
from patron.service.tests.desk_helpers import team, ticket

pytestmark = pytest.mark.django_db


def _operator(shop: Shop, name: str, role: str, profile: bool = True) -> User:
    user = User.objects.create_user(name, password="x" * 12)
    OperatorMembership.objects.create(user=user, shop=shop, role=role)
    if profile:
        AgentProfile.objects.create(shop=shop, user=user, display_name=name, created_at=NOON)
    return user


def test_each_role_on_ticket_work(shop: Shop, member: Member) -> None:
    core_services.roles_sync()
    pre = team(shop, "pre")
    t = ticket(shop, member, pre)
    agent_user = _operator(shop, "agent", "service_agent")
    lead_user = _operator(shop, "lead", "service_lead")
    analyst = _operator(shop, "analyst", "analyst")  # even with a profile
    marketing = _operator(shop, "marketing", "marketing")
    no_profile = _operator(shop, "agent2", "service_agent", profile=False)
    agent = services.working_agent(agent_user, shop.pk)
    lead = services.working_agent(lead_user, shop.pk)
    TeamMembership.objects.create(team=pre, agent=agent, role="agent")
    TeamMembership.objects.create(team=pre, agent=lead, role="lead")

    for user in (analyst, marketing, no_profile):
        with pytest.raises(PatronError) as refused:
            services.working_agent(user, shop.pk)
        assert (refused.value.code, refused.value.field) == ("forbidden", "agent")
    # the analyst reads the ticket all the same
    assert t in selectors.tickets_visible(analyst, shop.pk)
    # roles count in their shop only
    with pytest.raises(PatronError):
        services.working_agent(agent_user, Shop.objects.create(name="别家").pk)

    # the agent replies and takes it; only the lead gives it to someone else
    services.agent_reply(ticket=t, agent=agent, body="hi")
    with pytest.raises(PatronError):
        services.ticket_assign(ticket=t, agent=agent, assignee=lead)
    services.ticket_assign(ticket=t, agent=lead, assignee=agent)
    t.refresh_from_db()
    assert t.assignee_id == agent.pk
