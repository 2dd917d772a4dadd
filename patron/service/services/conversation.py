"""The conversation on a ticket: the member writes, agents reply and note,
the status moves. Each write is one transaction and leaves an entry on the
timeline.

Sending a reply out (in-app, e-mail, a webhook to an IM channel) is the
channel's business and hooks on ``reply_senders``; this module records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.services import audit_record
from patron.service.models import (
    AgentProfile,
    EntryKind,
    Ticket,
    TicketChannel,
    TicketEntry,
    TicketStatus,
)
from patron.service.services.attachments import Upload, attachments_add, uploads_check
from patron.service.services.entries import entry_add
from patron.service.services.sla import sla_update  # SLA
from patron.service.services.tickets import BODY_MAX, _choice, _text, ticket_open

#: A solved ticket reopens when the member writes within this time; later,
#: their message opens a new ticket that follows the old one.
REOPEN_WITHIN = dt.timedelta(days=7)

#: Called with each public reply entry after it is saved (in the same
#: transaction): the channels that carry replies out register here.
ReplySender = Callable[[TicketEntry], None]
reply_senders: list[ReplySender] = []


def reply_sender_register(sender: ReplySender) -> None:
    if sender not in reply_senders:
        reply_senders.append(sender)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _status_entry(
    ticket: Ticket, *, to: str, author: AgentProfile | None, why: str, at: dt.datetime
) -> None:
    entry_add(
        ticket,
        EntryKind.STATUS,
        at=at,
        author=author,
        data={"from": ticket.status, "to": to, "why": why},
    )
    ticket.status = to
    ticket.status_changed_at = at
    if to == TicketStatus.SOLVED:
        ticket.solved_at = at
    elif to == TicketStatus.CLOSED:
        ticket.closed_at = at
    else:
        ticket.solved_at = None


@transaction.atomic
def member_writes(
    *,
    ticket: Ticket,
    body: str,
    channel: str | None = None,
    external_id: str = "",
    attachments: Sequence[Upload] = (),
) -> Ticket:
    """The member's message on ``ticket``; answers the ticket it landed on.

    A message on a pending ticket puts it back to open; on a ticket solved
    less than seven days ago it reopens it; on an older solved or a closed
    ticket it opens a new ticket that follows the old one. A message whose
    ``external_id`` was seen before is not recorded twice."""
    channel = _choice("channel", channel or ticket.channel, TicketChannel)
    body = _text("body", body, limit=BODY_MAX)
    uploads_check(attachments)
    if external_id:
        seen = (
            TicketEntry.objects.filter(
                shop_id=ticket.shop_id, channel=channel, external_id=external_id
            )
            .select_related("ticket")
            .first()
        )
        if seen is not None:
            return seen.ticket
    ticket = _locked(ticket)
    now = clock.now()
    if ticket.merged_into_id is not None:
        return member_writes(
            ticket=Ticket.objects.get(pk=ticket.merged_into_id),
            body=body,
            channel=channel,
            external_id=external_id,
            attachments=attachments,
        )
    if ticket.status == TicketStatus.CLOSED or (
        ticket.status == TicketStatus.SOLVED
        and ticket.solved_at is not None
        and now - ticket.solved_at > REOPEN_WITHIN
    ):
        follow = ticket_open(
            shop=ticket.shop,
            channel=channel,
            subject=ticket.subject,
            body=body,
            member=ticket.member,
            contact=ticket.contact,
            topic=ticket.topic,
            priority=ticket.priority,
            order_id=ticket.order_id,
            external_id=external_id,
        )
        follow.follows = ticket
        follow.save(update_fields=["follows"])
        first = follow.entries.order_by("pk").first()
        if attachments and first is not None:
            attachments_add(entry=first, uploads=attachments)
        return follow
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        _status_entry(ticket, to=TicketStatus.OPEN, author=None, why="member_wrote", at=now)
    message = TicketEntry.objects.create(
        shop_id=ticket.shop_id,
        ticket=ticket,
        kind=EntryKind.MEMBER_MESSAGE,
        channel=channel,
        body=body,
        external_id=external_id,
        created_at=now,
    )
    attachments_add(entry=message, uploads=attachments)
    ticket.last_member_message_at = now
    ticket.updated_at = now
    ticket.save()
    sla_update(ticket, at=now)  # SLA: resume the clock, next response due
    return ticket


def _agent_of(ticket: Ticket, agent: AgentProfile) -> AgentProfile:
    if agent.shop_id != ticket.shop_id:
        raise PatronError(ErrorCode.FORBIDDEN, _("not an agent of this shop"), field="agent")
    return agent


@transaction.atomic
def agent_reply(
    *,
    ticket: Ticket,
    agent: AgentProfile,
    body: str,
    status: str | None = None,
    actor: User | AnonymousUser | None = None,
    attachments: Sequence[Upload] = (),
) -> TicketEntry:
    """A public reply the member sees (and the ticket's channel carries out);
    the first one answers the ticket. ``status`` moves the ticket as the
    reply goes (reply and set pending, reply and solve); without it a new
    ticket becomes open and any other keeps its status."""
    body = _text("body", body, limit=BODY_MAX)
    if status is not None:
        _choice("status", status, TicketStatus)
    uploads_check(attachments)
    ticket = _locked(ticket)
    _agent_of(ticket, agent)
    if ticket.status == TicketStatus.CLOSED or ticket.merged_into_id is not None:
        raise validation_error("ticket", _("the ticket is closed; write in a new one"))
    now = clock.now()
    entry = entry_add(ticket, EntryKind.REPLY, at=now, author=agent, body=body)
    attachments_add(entry=entry, uploads=attachments)
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.last_reply_at = now
    ticket.updated_at = now
    wanted = status or (TicketStatus.OPEN if ticket.status == TicketStatus.NEW else None)
    if wanted is not None and wanted != ticket.status:
        _status_entry(ticket, to=wanted, author=agent, why="reply", at=now)
    ticket.save()
    sla_update(ticket, at=now)  # SLA: response met (or breached), pause on pending
    audit_record(actor=actor, action="service.reply", obj=ticket, after={"entry": entry.pk})
    for send in reply_senders:
        send(entry)
    return entry


@transaction.atomic
def agent_note(
    *, ticket: Ticket, agent: AgentProfile, body: str, attachments: Sequence[Upload] = ()
) -> TicketEntry:
    """An internal note: agents see it, the member never does."""
    body = _text("body", body, limit=BODY_MAX)
    uploads_check(attachments)
    ticket = _locked(ticket)
    _agent_of(ticket, agent)
    entry = note_add(ticket, author=agent, body=body, at=clock.now())
    attachments_add(entry=entry, uploads=attachments)
    return entry


def note_add(
    ticket: Ticket,
    *,
    author: AgentProfile | None,
    body: str,
    at: dt.datetime,
    data: dict[str, object] | None = None,
) -> TicketEntry:
    """An internal note on a locked ticket, which moves its ``updated_at``
    (an agent's, or the automated responder's without an author)."""
    entry = entry_add(ticket, EntryKind.NOTE, at=at, author=author, body=body, data=data)
    ticket.updated_at = at
    ticket.save(update_fields=["updated_at"])
    return entry


@transaction.atomic
def ticket_status_set(
    *,
    ticket: Ticket,
    status: str,
    agent: AgentProfile | None,
    actor: User | AnonymousUser | None = None,
) -> Ticket:
    """Move the ticket to ``status``. A closed ticket stays closed and no
    ticket goes back to new."""
    _choice("status", status, TicketStatus)
    ticket = _locked(ticket)
    if status == ticket.status:
        return ticket
    if ticket.status == TicketStatus.CLOSED or status == TicketStatus.NEW:
        raise validation_error(
            "status",
            lazy_format(
                _("a %(current)s ticket cannot become %(wanted)s"),
                current=ticket.status,
                wanted=status,
            ),
        )
    now = clock.now()
    before = ticket.status
    _status_entry(ticket, to=status, author=agent, why="agent", at=now)
    ticket.updated_at = now
    ticket.save()
    sla_update(ticket, at=now)  # SLA: pause or resume the clock
    audit_record(
        actor=actor,
        action="service.status",
        obj=ticket,
        before={"status": before},
        after={"status": status},
    )
    return ticket
