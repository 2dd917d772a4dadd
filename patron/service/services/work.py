"""Working a ticket: its topic, priority and tags, who has it, merging two.

Agents work the tickets of their teams (and those assigned to them); a lead
moves tickets between the agents of the teams they lead. Every change leaves
an action on the timeline and a line in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.services import audit_record
from patron.service.models import (
    AgentProfile,
    EntryKind,
    Team,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketEntry,
    TicketPriority,
    TicketStatus,
    TicketTopic,
)
from patron.service.services.entries import entry_add
from patron.service.services.tickets import _choice

TAGS_MAX = 20
TAG_MAX = 40

Actor = User | AnonymousUser | None


def tag_clean(raw: Any, field: str) -> str:
    tag = raw.strip().lower() if isinstance(raw, str) else ""
    if not tag or len(tag) > TAG_MAX or "," in tag or any(c.isspace() for c in tag):
        raise validation_error(
            field,
            lazy_format(
                _("a tag is 1 to %(limit)d characters without spaces or commas"), limit=TAG_MAX
            ),
        )
    return tag


def tags_clean(value: Any, field: str = "tags") -> list[str]:
    """Tags as stored: trimmed, lower case, each once, in the order given."""
    if not isinstance(value, list | tuple):
        raise validation_error(field, _("must be a list of tags"))
    tags: list[str] = []
    for i, raw in enumerate(value):
        tag = tag_clean(raw, f"{field}[{i}]")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > TAGS_MAX:
        raise validation_error(field, lazy_format(_("at most %(limit)d tags"), limit=TAGS_MAX))
    return tags


def _team_ids(agent: AgentProfile, *, lead: bool = False) -> set[int]:
    memberships = TeamMembership.objects.filter(agent=agent)
    if lead:
        memberships = memberships.filter(role=TeamRole.LEAD)
    return set(memberships.values_list("team_id", flat=True))


def working_agent(user: Any, shop_id: int) -> AgentProfile:
    """The operator's agent profile, if their role lets them work tickets
    (agents and leads); an analyst reads tickets but is refused here, with or
    without a profile. The pages call this before any ticket write."""
    from patron.core.models import Shop
    from patron.service.selectors import agent_of

    agent = None
    if getattr(user, "is_authenticated", False) and user.has_perm(
        "service.work_ticket", Shop(pk=shop_id)
    ):
        agent = agent_of(user, shop_id)
    if agent is None:
        raise PatronError(
            ErrorCode.FORBIDDEN, _("you do not work tickets in this shop"), field="agent"
        )
    return agent


def work_check(ticket: Ticket, agent: AgentProfile) -> None:
    """Refuse ``agent`` unless the ticket is their team's or theirs."""
    if agent.shop_id != ticket.shop_id or not (
        ticket.assignee_id == agent.pk or ticket.team_id in _team_ids(agent)
    ):
        raise PatronError(
            ErrorCode.FORBIDDEN, _("the ticket is not one of your teams'"), field="ticket"
        )


def _action(
    ticket: Ticket, *, agent: AgentProfile | None, name: str, data: dict[str, Any], at: dt.datetime
) -> TicketEntry:
    return entry_add(ticket, EntryKind.ACTION, at=at, author=agent, data={"action": name, **data})


def _open_check(ticket: Ticket) -> None:
    if ticket.status == TicketStatus.CLOSED or ticket.merged_into_id is not None:
        raise validation_error("ticket", _("the ticket is closed"))


@transaction.atomic
def ticket_fields_set(
    *,
    ticket: Ticket,
    agent: AgentProfile,
    topic: str | None = None,
    priority: str | None = None,
    tags: list[str] | None = None,
    actor: Actor = None,
) -> Ticket:
    """Set any of topic, priority and tags (the whole list); unchanged
    values leave no trace."""
    if topic is not None:
        _choice("topic", topic, TicketTopic)
    if priority is not None:
        _choice("priority", priority, TicketPriority)
    if tags is not None:
        tags = tags_clean(tags)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    work_check(ticket, agent)
    _open_check(ticket)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in (("topic", topic), ("priority", priority), ("tags", tags)):
        if value is not None and getattr(ticket, name) != value:
            before[name] = getattr(ticket, name)
            after[name] = value
            setattr(ticket, name, value)
    if not after:
        return ticket
    now = clock.now()
    _action(ticket, agent=agent, name="fields", data={"before": before, "after": after}, at=now)
    ticket.updated_at = now
    ticket.save()
    audit_record(
        actor=actor, action="service.ticket_fields", obj=ticket, before=before, after=after
    )
    return ticket


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    agent: AgentProfile,
    assignee: AgentProfile | None,
    team: Team | None = None,
    actor: Actor = None,
) -> Ticket:
    """``agent`` takes the ticket (``assignee`` is themselves) or lets it go
    (``assignee`` None while it is theirs); anything else is a lead's
    reassignment, to an agent of a team they lead, into ``team`` (one they
    lead) or the ticket's own team."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    _open_check(ticket)
    own = assignee is not None and assignee.pk == agent.pk and team is None
    release = assignee is None and ticket.assignee_id == agent.pk and team is None
    if own or release:
        work_check(ticket, agent)
        new_team_id = ticket.team_id
    else:
        led = _team_ids(agent, lead=True)
        if ticket.team_id not in led and ticket.assignee_id != agent.pk:
            raise PatronError(
                ErrorCode.FORBIDDEN,
                _("only a lead of the ticket's team may reassign it"),
                field="assignee",
            )
        new_team_id = team.pk if team is not None else ticket.team_id
        if new_team_id not in led:
            raise PatronError(ErrorCode.FORBIDDEN, _("you do not lead this team"), field="team")
        if (
            assignee is not None
            and not TeamMembership.objects.filter(team_id=new_team_id, agent=assignee).exists()
        ):
            raise validation_error("assignee", _("the agent is not in the ticket's team"))
    before = {"assignee": ticket.assignee_id, "team": ticket.team_id}
    after = {"assignee": assignee.pk if assignee else None, "team": new_team_id}
    if before == after:
        return ticket
    now = clock.now()
    ticket.assignee = assignee
    ticket.team_id = new_team_id
    ticket.updated_at = now
    if assignee is not None:
        AgentProfile.objects.filter(pk=assignee.pk).update(last_assigned_at=now)
    _action(ticket, agent=agent, name="assign", data={"before": before, "after": after}, at=now)
    ticket.save()
    audit_record(
        actor=actor, action="service.ticket_assign", obj=ticket, before=before, after=after
    )
    return ticket


@transaction.atomic
def ticket_merge(
    *, source: Ticket, target: Ticket, agent: AgentProfile, actor: Actor = None
) -> Ticket:
    """Merge ``source`` into ``target``: the source's entries move under the
    target (its timeline shows both, in time order), the source closes with
    ``merged_into`` (later messages to it land on the target) and its tags
    join the target's."""
    if source.pk == target.pk:
        raise validation_error("target", _("a ticket cannot be merged into itself"))
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update()
        .filter(pk__in=[source.pk, target.pk])
        .order_by("pk")
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.shop_id != target.shop_id:
        raise validation_error("target", _("no such ticket"))
    for field, ticket in (("source", source), ("target", target)):
        if ticket.status == TicketStatus.CLOSED or ticket.merged_into_id is not None:
            raise validation_error(field, _("the ticket is closed"))
        work_check(ticket, agent)
    if source.member_id and target.member_id and source.member_id != target.member_id:
        raise validation_error("target", _("the tickets are of different members"))
    now = clock.now()
    moved = TicketEntry.objects.filter(ticket=source).update(ticket=target)
    _action(
        target,
        agent=agent,
        name="merged",
        data={"from": source.number, "entries": moved},
        at=now,
    )
    target.tags = tags_clean([*target.tags, *source.tags][:TAGS_MAX])
    for stamp, pick in (
        ("first_response_at", min),
        ("last_member_message_at", max),
        ("last_reply_at", max),
    ):
        stamps = [s for s in (getattr(source, stamp), getattr(target, stamp)) if s is not None]
        setattr(target, stamp, pick(stamps) if stamps else None)
    if target.member_id is None and source.member_id is not None:
        target.member_id = source.member_id
    target.updated_at = now
    target.save()
    _action(source, agent=agent, name="merged_into", data={"into": target.number}, at=now)
    TicketEntry.objects.create(
        shop_id=source.shop_id,
        ticket=source,
        kind=EntryKind.STATUS,
        channel=source.channel,
        author=agent,
        data={"from": source.status, "to": TicketStatus.CLOSED, "why": "merged"},
        created_at=now,
    )
    source.status = TicketStatus.CLOSED
    source.status_changed_at = now
    source.closed_at = now
    source.merged_into = target
    source.updated_at = now
    source.save()
    audit_record(
        actor=actor,
        action="service.ticket_merge",
        obj=target,
        after={"source": source.number, "entries": moved},
    )
    return target
