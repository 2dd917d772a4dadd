"""Reads of the service desk."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.service.models import Ticket, TicketEntry


def ticket_get(*, shop_id: int, number: int) -> Ticket:
    """The shop's ticket by its number (404 for another shop's)."""
    try:
        return Ticket.objects.select_related("member", "contact", "team", "assignee").get(
            shop_id=shop_id, number=number
        )
    except Ticket.DoesNotExist:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such ticket"), field="number") from None


def ticket_timeline(ticket: Ticket) -> QuerySet[TicketEntry]:
    """The ticket's entries, oldest first, with authors and attachments."""
    return (
        TicketEntry.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
