"""Routing a new ticket: the rules pick a team, the member's dedicated
agent takes it first when available, else the team's round robin.

Concurrency: the candidate agents' rows are locked together, ordered by
primary key (one fixed order, so two routings never deadlock), and their
open load is counted after the lock, so two tickets routed at once never
both take an agent's last slot."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.services import audit_record
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
)
from patron.service.models.desk import DONE_STATUSES
from patron.service.services.entries import entry_add
from patron.tiers.models import MemberTier


def _tier(ticket: Ticket) -> tuple[str, int | None]:
    if ticket.member_id is None:
        return "", None
    state = MemberTier.objects.filter(member_id=ticket.member_id).select_related("tier").first()
    if state is None:
        return "", None
    return state.tier.code, state.tier.rank


def team_for(ticket: Ticket) -> tuple[Team | None, RoutingRule | None]:
    """The team of the first active rule ``ticket`` matches, else the
    shop's default team (and the rule, None for the default)."""
    tier_code, rank = _tier(ticket)
    rules = RoutingRule.objects.filter(
        shop_id=ticket.shop_id, active=True, team__active=True
    ).select_related("team")
    for rule in rules:
        if rule.channel and rule.channel != ticket.channel:
            continue
        if rule.topic and rule.topic != ticket.topic:
            continue
        if rule.tier_code and rule.tier_code != tier_code:
            continue
        if rule.min_tier_rank is not None and (rank is None or rank < rule.min_tier_rank):
            continue
        return rule.team, rule
    settings_row = (
        RoutingSettings.objects.filter(shop_id=ticket.shop_id)
        .select_related("default_team")
        .first()
    )
    if settings_row is not None and settings_row.default_team is not None:
        team = settings_row.default_team
        return (team, None) if team.active else (None, None)
    return None, None


def _loads(agent_ids: list[int]) -> dict[int, int]:
    rows = (
        Ticket.objects.filter(assignee_id__in=agent_ids)
        .exclude(status__in=DONE_STATUSES)
        .values("assignee_id")
        .annotate(n=Count("id"))
    )
    return {r["assignee_id"]: r["n"] for r in rows}


def agent_available(agent: AgentProfile, load: int, now: dt.datetime) -> bool:
    """Online, not away, and below capacity."""
    away = agent.away_until is not None and agent.away_until > now
    return agent.online and not away and load < agent.capacity


def _locked_agents(team: Team | None, also: int | None) -> dict[int, AgentProfile]:
    ids: set[int] = set()
    if team is not None:
        ids.update(
            TeamMembership.objects.filter(team=team, agent__shop_id=team.shop_id).values_list(
                "agent_id", flat=True
            )
        )
    if also is not None:
        ids.add(also)
    agents = AgentProfile.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {a.pk: a for a in agents}


def _entry(
    ticket: Ticket, data: dict[str, object], at: dt.datetime, author: AgentProfile | None = None
) -> None:
    entry_add(ticket, EntryKind.ACTION, at=at, author=author, data=data)


@transaction.atomic
def ticket_route(ticket: Ticket) -> Ticket:
    """Give an unassigned ticket its team and, when someone is available,
    its agent: the member's dedicated agent first, else the team member
    longest without a ticket (then the least loaded, then the oldest
    profile) who is online, not away and below capacity. A ticket nobody
    can take waits in its team's queue unassigned."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.assignee_id is not None:
        return ticket
    team, rule = team_for(ticket)
    dedicated = None
    if ticket.member_id is not None:
        dedicated = (
            DedicatedAgent.objects.filter(member_id=ticket.member_id, shop_id=ticket.shop_id)
            .values_list("agent_id", flat=True)
            .first()
        )
    if team is None and dedicated is None:
        return ticket
    now = clock.now()
    agents = _locked_agents(team, dedicated)
    loads = _loads(list(agents))
    chosen: AgentProfile | None = None
    why = "queue"
    if dedicated is not None and dedicated in agents:
        agent = agents[dedicated]
        if agent_available(agent, loads.get(agent.pk, 0), now):
            chosen, why = agent, "dedicated"
        else:
            why = "dedicated_unavailable"
    if chosen is None and team is not None:
        members = set(TeamMembership.objects.filter(team=team).values_list("agent_id", flat=True))
        pool = [
            a
            for pk, a in agents.items()
            if pk in members and agent_available(a, loads.get(pk, 0), now)
        ]
        pool.sort(
            key=lambda a: (
                a.last_assigned_at is not None,
                a.last_assigned_at or now,
                loads.get(a.pk, 0),
                a.pk,
            )
        )
        if pool:
            chosen = pool[0]
            why = "round_robin" if why == "queue" else "fallback"
    if chosen is not None:
        AgentProfile.objects.filter(pk=chosen.pk).update(last_assigned_at=now)
        ticket.assignee = chosen
        if team is None:
            team = (
                Team.objects.filter(memberships__agent=chosen, shop_id=ticket.shop_id)
                .order_by("pk")
                .first()
            )
    ticket.team = team
    ticket.updated_at = now
    ticket.save(update_fields=["team", "assignee", "updated_at"])
    _entry(
        ticket,
        {
            "action": "routed",
            "why": why,
            "rule": rule.pk if rule is not None else None,
            "team": team.pk if team is not None else None,
            "assignee": chosen.pk if chosen is not None else None,
        },
        now,
    )
    return ticket


@transaction.atomic
def ticket_reassign(
    *,
    ticket: Ticket,
    lead: AgentProfile | None,
    team: Team | None = None,
    assignee: AgentProfile | None = None,
    admin: bool = False,
    actor: User | AnonymousUser | None = None,
) -> Ticket:
    """A lead moves a ticket of a team they lead to another team and/or
    agent (an agent of the target team). Nothing else changes. ``admin``
    (the caller checked the operator is the shop's admin) may move any
    ticket of the shop, with or without an agent profile (``lead``)."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    led = set(
        TeamMembership.objects.filter(agent=lead, role=TeamRole.LEAD).values_list(
            "team_id", flat=True
        )
        if lead is not None
        else ()
    )
    allowed = admin or (lead is not None and ticket.team_id in led)
    if (lead is not None and lead.shop_id != ticket.shop_id) or not allowed:
        raise PatronError(
            ErrorCode.FORBIDDEN, _("only a lead of the ticket's team may reassign it"), field="lead"
        )
    target = team or ticket.team
    if target is None or target.shop_id != ticket.shop_id or not target.active:
        raise validation_error("team", _("unknown team"))
    if assignee is not None:
        if (
            assignee.shop_id != ticket.shop_id
            or not TeamMembership.objects.filter(team=target, agent=assignee).exists()
        ):
            raise validation_error("assignee", _("not an agent of that team"))
    elif target.pk != ticket.team_id:
        assignee = None
    else:
        raise validation_error("assignee", _("name a new team or a new agent"))
    now = clock.now()
    before = {"team": ticket.team_id, "assignee": ticket.assignee_id}
    ticket.team = target
    ticket.assignee = assignee
    ticket.updated_at = now
    ticket.save(update_fields=["team", "assignee", "updated_at"])
    after = {"team": target.pk, "assignee": assignee.pk if assignee else None}
    _entry(ticket, {"action": "reassigned", "from": before, "to": after}, now, author=lead)
    audit_record(actor=actor, action="service.reassign", obj=ticket, before=before, after=after)
    return ticket
