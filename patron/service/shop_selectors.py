"""Reads the shop API serves: tickets as JSON, their timelines, pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.core.models import Shop
from patron.core.pages import newest_first_page
from patron.service.models import EntryKind, Ticket, TicketEntry
from patron.service.selectors import ticket_timeline


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "reference": ticket.reference,
        "member": ticket.member.external_id if ticket.member else None,
        "contact": (
            {
                "channel": ticket.contact.channel,
                "handle": ticket.contact.handle,
                "name": ticket.contact.name,
            }
            if ticket.contact
            else None
        ),
        "channel": ticket.channel,
        "subject": ticket.subject,
        "topic": ticket.topic,
        "priority": ticket.priority,
        "status": ticket.status,
        "team": ticket.team.code if ticket.team else None,
        "assignee": ticket.assignee.display_name if ticket.assignee else None,
        "tags": ticket.tags,
        "merged_into": ticket.merged_into.number if ticket.merged_into else None,
        "follows": ticket.follows.number if ticket.follows else None,
        "created_at": _iso(ticket.created_at),
        "updated_at": _iso(ticket.updated_at),
        "first_response_at": _iso(ticket.first_response_at),
        "solved_at": _iso(ticket.solved_at),
        "closed_at": _iso(ticket.closed_at),
    }


def entry_out(entry: TicketEntry) -> dict[str, Any]:
    # a timeline's entries carry their attachments (ticket_timeline); a lone entry reads them
    files = getattr(entry, "files", None)
    if files is None:
        files = entry.attachments.order_by("pk")
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "internal": entry.kind in (EntryKind.NOTE, EntryKind.CALL),
        "channel": entry.channel,
        "author": entry.author.display_name if entry.author else None,
        "text": entry.body,
        "data": entry.data,
        "message_id": entry.external_id or None,
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "size": a.size, "url": a.file.url}
            for a in files
        ],
        "created_at": _iso(entry.created_at),
    }


def _tickets(shop: Shop) -> Any:
    return Ticket.objects.filter(shop=shop).select_related(
        "member", "contact", "team", "assignee", "merged_into", "follows"
    )


def tickets_page(
    *,
    shop: Shop,
    status: str | None = None,
    member_external_id: str | None = None,
    updated_since: dt.datetime | None = None,
    limit: int = 20,
    before: int | None = None,
) -> dict[str, Any]:
    """The shop's tickets, newest first; ``before`` is ``next_before`` of the
    previous page."""
    query = _tickets(shop)
    if status:
        query = query.filter(status=status)
    if member_external_id:
        query = query.filter(member__external_id=member_external_id)
    if updated_since is not None:
        query = query.filter(updated_at__gte=updated_since)
    rows, next_before = newest_first_page(query, limit=limit, before=before)
    return {"items": [ticket_out(t) for t in rows], "next_before": next_before}


def ticket_with_timeline(ticket: Ticket) -> dict[str, Any]:
    ticket = _tickets(ticket.shop).get(pk=ticket.pk)
    return {**ticket_out(ticket), "timeline": [entry_out(e) for e in ticket_timeline(ticket)]}
