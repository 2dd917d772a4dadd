"""Entries written by an automatic first responder (the assistant) rather
than an agent: an internal note for the agent who takes over, and a public
reply carried out by the ticket's channel like an agent's.

Neither has an author and neither counts as the desk's response: the SLA's
first-response clock waits for a person."""

from __future__ import annotations

from django.db import transaction

from patron.core import clock
from patron.service.models import EntryKind, Ticket, TicketEntry, TicketStatus
from patron.service.services.conversation import (
    _locked,
    _status_entry,
    note_add,
    reply_senders,
)
from patron.service.services.entries import entry_add
from patron.service.services.sla import sla_update
from patron.service.services.tickets import BODY_MAX, _text


@transaction.atomic
def automated_note(
    *, ticket: Ticket, body: str, data: dict[str, object] | None = None
) -> TicketEntry:
    """An internal note without an author (agents see it, the member never does)."""
    body = _text("body", body, limit=BODY_MAX)
    return note_add(
        _locked(ticket),
        author=None,
        body=body,
        at=clock.now(),
        data={"automated": True, **(data or {})},
    )


@transaction.atomic
def automated_reply(*, ticket: Ticket, body: str, solve: bool = True) -> TicketEntry:
    """A public answer without an author, carried out by the reply senders
    (the social webhook, the portal inbox). ``solve``: the answer settles the
    question, so the ticket leaves the queue; the member's next message
    reopens it (``member_writes``)."""
    body = _text("body", body, limit=BODY_MAX)
    ticket = _locked(ticket)
    now = clock.now()
    entry = entry_add(ticket, EntryKind.REPLY, at=now, body=body, data={"automated": True})
    ticket.updated_at = now
    if solve and ticket.status in (TicketStatus.NEW, TicketStatus.OPEN):
        _status_entry(ticket, to=TicketStatus.SOLVED, author=None, why="automated", at=now)
    ticket.save()
    sla_update(ticket, at=now)
    for send in reply_senders:
        send(entry)
    return entry
