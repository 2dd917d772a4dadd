"""Routing: rules to teams, the dedicated agent and its fallback, round robin
with capacity, presence, and leads reassigning."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import (
    AgentProfile,
    DedicatedAgent,
    EntryKind,
    RoutingRule,
    RoutingSettings,
    Team,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketStatus,
)
from patron.service.services import ticket_open, ticket_reassign, ticket_status_set
from patron.service.tests.conftest import NOON
from patron.tiers.models import MemberTier, Tier

pytestmark = pytest.mark.django_db


def make_team(shop: Shop, code: str) -> Team:
    return Team.objects.create(shop=shop, code=code, name=code, created_at=NOON)


def make_agent(
    shop: Shop, name: str, *teams: Team, capacity: int = 8, online: bool = True, lead: bool = False
) -> AgentProfile:
    user = User.objects.create_user(f"u-{name}", password="x" * 12)
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name=name, capacity=capacity, online=online, created_at=NOON
    )
    for team in teams:
        TeamMembership.objects.create(
            team=team, agent=agent, role=TeamRole.LEAD if lead else TeamRole.AGENT
        )
    return agent


def make_member(shop: Shop, n: int, tier: str | None = None) -> Member:
    member = Member.objects.create(
        shop=shop, external_id=f"r{n}", registered_at=NOON, created_at=NOON, updated_at=NOON
    )
    if tier is not None:
        MemberTier.objects.create(
            member=member,
            shop=shop,
            tier=Tier.objects.get(shop=shop, code=tier),
            since=NOON,
            updated_at=NOON,
        )
    return member


def open_for(member: Member, **kw: Any) -> Ticket:
    return ticket_open(
        shop=member.shop,
        channel=kw.pop("channel", "chat"),
        subject="问题",
        body="你好",
        member=member,
        **kw,
    )


@pytest.fixture
def desk(shop: Shop) -> dict[str, Any]:
    Tier.objects.create(shop=shop, code="normal", name="普通", name_en="Member", rank=0)
    Tier.objects.create(shop=shop, code="gold", name="金", name_en="Gold", rank=2)
    Tier.objects.create(shop=shop, code="diamond", name="钻石", name_en="Diamond", rank=3)
    general, after_sale, vip = (make_team(shop, c) for c in ("general", "after-sale", "vip"))
    RoutingSettings.objects.create(shop=shop, default_team=general)
    RoutingRule.objects.create(shop=shop, position=1, min_tier_rank=2, team=vip)
    RoutingRule.objects.create(shop=shop, position=2, topic="return", team=after_sale)
    RoutingRule.objects.create(shop=shop, position=3, channel="email", topic="return", team=vip)
    return {"general": general, "after_sale": after_sale, "vip": vip}


def test_rules_first_match_then_the_default_team(shop: Shop, desk: dict[str, Any]) -> None:
    plain, gold = make_member(shop, 1, "normal"), make_member(shop, 2, "gold")

    returns = open_for(plain, topic="return", channel="email")
    other = open_for(plain, topic="logistics")
    vip = open_for(gold, topic="return")
    no_tier = open_for(make_member(shop, 3), topic="pre_sale")

    # rule 2 matches before rule 3; a gold member goes to the VIP team by rank
    assert returns.team == desk["after_sale"]
    assert other.team == desk["general"]
    assert vip.team == desk["vip"]
    assert no_tier.team == desk["general"]
    # nobody in the teams: the tickets wait unassigned, the routing is on the timeline
    assert returns.assignee is None
    routed = returns.entries.get(kind=EntryKind.ACTION)
    assert routed.data == {
        "action": "routed",
        "why": "queue",
        "rule": RoutingRule.objects.get(position=2).pk,
        "team": desk["after_sale"].pk,
        "assignee": None,
    }


def test_no_rule_and_no_default_leaves_the_ticket_alone(shop: Shop) -> None:
    ticket = open_for(make_member(shop, 1))
    assert (ticket.team, ticket.assignee) == (None, None)
    assert not ticket.entries.filter(kind=EntryKind.ACTION).exists()


def test_round_robin_is_fair_thirty_over_three(shop: Shop, desk: dict[str, Any]) -> None:
    agents = [make_agent(shop, n, desk["general"], capacity=20) for n in ("a", "b", "c")]
    member = make_member(shop, 1)
    got: list[int] = []
    for i in range(30):
        clock.freeze(NOON + dt.timedelta(seconds=i))
        got.append(open_for(member).assignee_id or 0)
    assert Counter(got) == {a.pk: 10 for a in agents}
    # strictly in turn
    assert got[:6] == [a.pk for a in agents] * 2


def test_round_robin_fair_even_within_one_instant(shop: Shop, desk: dict[str, Any]) -> None:
    agents = [make_agent(shop, n, desk["general"], capacity=20) for n in ("a", "b", "c")]
    member = make_member(shop, 1)
    got = Counter(open_for(member).assignee_id for _ in range(30))
    assert got == {a.pk: 10 for a in agents}


def test_capacity_and_presence_are_respected(shop: Shop, desk: dict[str, Any]) -> None:
    small = make_agent(shop, "small", desk["general"], capacity=2)
    offline = make_agent(shop, "off", desk["general"], online=False)
    away = make_agent(shop, "away", desk["general"])
    away.away_until = NOON + dt.timedelta(hours=1)
    away.save()
    member = make_member(shop, 1)

    tickets = [open_for(member) for _ in range(3)]

    # only "small" may take tickets, and only two; the third waits
    assert [t.assignee_id for t in tickets] == [small.pk, small.pk, None]
    assert tickets[2].team == desk["general"]
    assert offline.pk not in {t.assignee_id for t in tickets}
    # a solved ticket frees a slot; the away agent is back after an hour
    ticket_status_set(ticket=tickets[0], status=TicketStatus.SOLVED, agent=small)
    clock.freeze(NOON + dt.timedelta(hours=2))
    later = [open_for(member).assignee_id or 0 for _ in range(2)]
    assert sorted(later) == sorted([small.pk, away.pk])


def test_dedicated_agent_first_then_fallback(shop: Shop, desk: dict[str, Any]) -> None:
    diamond = make_member(shop, 1, "diamond")
    personal = make_agent(shop, "专属", desk["vip"], capacity=1)
    other = make_agent(shop, "vip2", desk["vip"])
    DedicatedAgent.objects.create(member=diamond, shop=shop, agent=personal)

    first = open_for(diamond)
    second = open_for(diamond)  # the dedicated agent is at capacity now

    assert (first.team, first.assignee) == (desk["vip"], personal)
    assert first.entries.get(kind=EntryKind.ACTION).data["why"] == "dedicated"
    assert second.assignee == other
    assert second.entries.get(kind=EntryKind.ACTION).data["why"] == "fallback"

    # while the dedicated agent is offline, the team takes the member's tickets
    ticket_status_set(ticket=first, status=TicketStatus.SOLVED, agent=personal)
    personal.online = False
    personal.save()
    assert open_for(diamond).assignee == other
    # back online with a free slot: theirs again, even though others waited longer
    personal.online = True
    personal.save()
    assert open_for(diamond).assignee == personal


def test_dedicated_agent_outside_the_routed_team_still_gets_the_ticket(
    shop: Shop, desk: dict[str, Any]
) -> None:
    diamond = make_member(shop, 1, "diamond")
    personal = make_agent(shop, "专属", desk["general"])
    DedicatedAgent.objects.create(member=diamond, shop=shop, agent=personal)
    ticket = open_for(diamond)
    assert (ticket.team, ticket.assignee) == (desk["vip"], personal)


def test_a_lead_reassigns_an_agent_may_not(shop: Shop, desk: dict[str, Any]) -> None:
    lead = make_agent(shop, "lead", desk["general"], lead=True, capacity=0)
    first = make_agent(shop, "a", desk["general"])
    second = make_agent(shop, "b", desk["general"])
    vip_agent = make_agent(shop, "v", desk["vip"])
    ticket = open_for(make_member(shop, 1))
    assert ticket.assignee == first

    with pytest.raises(PatronError) as refused:
        ticket_reassign(ticket=ticket, lead=first, assignee=second)
    assert refused.value.field == "lead"
    with pytest.raises(PatronError) as wrong:
        ticket_reassign(ticket=ticket, lead=lead, assignee=vip_agent)
    assert wrong.value.field == "assignee"
    assert Ticket.objects.get(pk=ticket.pk).assignee == first

    moved = ticket_reassign(ticket=ticket, lead=lead, assignee=second)
    assert moved.assignee == second
    to_vip = ticket_reassign(ticket=ticket, lead=lead, team=desk["vip"], assignee=vip_agent)
    assert (to_vip.team, to_vip.assignee) == (desk["vip"], vip_agent)
    assert to_vip.entries.filter(kind=EntryKind.ACTION, data__action="reassigned").count() == 2
    # now it is the VIP team's: the general lead may no longer move it
    with pytest.raises(PatronError):
        ticket_reassign(ticket=to_vip, lead=lead, assignee=second)
