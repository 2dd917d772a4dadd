"""Reads of the portal chat: what the member sees of their chat ticket, cheap
enough to be polled every two seconds (two queries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from patron.members.models import Member
from patron.service.models import EntryKind, Ticket, TicketChannel, TicketEntry, TicketStatus

#: The entries a member sees: their messages and public replies (never notes).
MEMBER_VISIBLE = (EntryKind.MEMBER_MESSAGE, EntryKind.REPLY)
WAITING_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)


def reply_target() -> dt.timedelta:
    """How soon a chat is promised an answer.

    The ticket's own SLA due time (first or next response) comes first;
    without an SLA it is the desk's typical first-response target,
    ``PATRON_SERVICE_CHAT_REPLY_MINUTES`` (5)."""
    return dt.timedelta(minutes=int(getattr(settings, "PATRON_SERVICE_CHAT_REPLY_MINUTES", 5)))


def _sla_reply_due(ticket: Ticket) -> dt.datetime | None:
    try:
        return ticket.sla.reply_due
    except ObjectDoesNotExist:
        return None


def _ahead() -> Subquery:
    """Open chat tickets of the same queue (team, or no team yet) that no
    agent has answered and that were opened before this one."""
    queue = Coalesce("team_id", Value(0))
    earlier = (
        Ticket.objects.annotate(queue=queue)
        .filter(
            shop_id=OuterRef("shop_id"),
            channel=TicketChannel.CHAT,
            status__in=WAITING_STATUSES,
            first_response_at__isnull=True,
            merged_into__isnull=True,
            queue=Coalesce(OuterRef("team_id"), Value(0)),
        )
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("shop_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Subquery(earlier, output_field=IntegerField())


def chat_state(*, member: Member, since: int = 0) -> dict[str, Any]:
    """The member's current chat: the entries after ``since`` (an entry id),
    whether they wait for an answer, their place in the queue and the time a
    reply is promised by. One query for the ticket, one for the entries."""
    ticket = (
        Ticket.objects.filter(member=member, channel=TicketChannel.CHAT, merged_into__isnull=True)
        .exclude(status=TicketStatus.CLOSED)
        .select_related("sla")
        .annotate(ahead=Coalesce(_ahead(), Value(0)))
        .order_by("-created_at", "-pk")
        .first()
    )
    if ticket is None:
        return {"ticket": None, "entries": [], "waiting": False, "position": None, "promised": None}
    entries = list(
        TicketEntry.objects.filter(ticket=ticket, kind__in=MEMBER_VISIBLE, pk__gt=since)
        .select_related("author")
        .order_by("created_at", "pk")
    )
    waiting = ticket.status in WAITING_STATUSES and (
        ticket.last_reply_at is None
        or (
            ticket.last_member_message_at is not None
            and ticket.last_member_message_at > ticket.last_reply_at
        )
    )
    unanswered = waiting and ticket.first_response_at is None
    promised = None
    if waiting:
        promised = _sla_reply_due(ticket)
        if promised is None:
            asked = ticket.last_member_message_at or ticket.created_at
            promised = asked + reply_target()
    return {
        "ticket": ticket,
        "entries": entries,
        "waiting": waiting,
        # their place in the queue: 1 when nobody is ahead
        "position": ticket.ahead + 1 if unanswered else None,  # type: ignore[attr-defined]
        "promised": promised,
    }
