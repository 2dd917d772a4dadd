"""Routing at once, on PostgreSQL with real parallel connections: two tickets
never both take an agent's last slot.

The tickets are opened first and routed together: opening alone is already
serialised by the shop's ticket number row, which would hide a missing lock
on the agents."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core.models import Shop
from patron.core.tests.races import race
from patron.members.models import Member
from patron.service.models import (
    AgentProfile,
    DedicatedAgent,
    RoutingSettings,
    Team,
    TeamMembership,
    TeamRole,
    Ticket,
)
from patron.service.services import ticket_open, ticket_route
from patron.service.tests.conftest import NOON

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _desk(capacities: list[int]) -> tuple[Shop, list[AgentProfile], list[Member]]:
    shop = Shop.objects.create(name="Race shop")
    team = Team.objects.create(shop=shop, code="t", name="t", created_at=NOON)
    agents = []
    for n, capacity in enumerate(capacities):
        user = User.objects.create_user(f"race{n}", password="x" * 12)
        agent = AgentProfile.objects.create(
            shop=shop,
            user=user,
            display_name=f"a{n}",
            capacity=capacity,
            online=True,
            created_at=NOON,
        )
        TeamMembership.objects.create(team=team, agent=agent, role=TeamRole.AGENT)
        agents.append(agent)
    members = [
        Member.objects.create(
            shop=shop, external_id=f"m{n}", registered_at=NOON, created_at=NOON, updated_at=NOON
        )
        for n in range(8)
    ]
    return shop, agents, members


def _route_at_once(shop: Shop, tickets: list[Ticket]) -> tuple[list[Any], list[Exception]]:
    RoutingSettings.objects.create(shop=shop, default_team=Team.objects.get(shop=shop))
    return race(len(tickets), lambda i: ticket_route(tickets[i]).assignee_id)


def test_eight_tickets_routed_at_once_fill_five_slots_exactly() -> None:
    # Given two agents with 2 and 3 free slots and eight tickets not yet routed
    shop, agents, members = _desk([2, 3])
    tickets = [
        ticket_open(shop=shop, channel="chat", subject="hi", body="hello", member=m)
        for m in members
    ]

    # When all eight are routed at the same moment
    results, errors = _route_at_once(shop, tickets)

    # Then five are assigned (never above capacity) and three wait in the queue
    assert errors == []
    assert len(results) == 8
    load = Counter(Ticket.objects.values_list("assignee_id", flat=True))
    assert load == {agents[0].pk: 2, agents[1].pk: 3, None: 3}


def test_a_dedicated_agent_with_one_slot_takes_one_of_two_at_once() -> None:
    shop, agents, members = _desk([1, 5])
    DedicatedAgent.objects.create(member=members[0], shop=shop, agent=agents[0])
    tickets = [
        ticket_open(shop=shop, channel="chat", subject="hi", body=f"hello {i}", member=members[0])
        for i in range(2)
    ]

    results, errors = _route_at_once(shop, tickets)

    assert errors == []
    assert sorted(results) == sorted([agents[0].pk, agents[1].pk])
