"""Reads of the service desk."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.service.models import (
    AgentProfile,
    Attachment,
    Team,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketEntry,
)


def ticket_get(*, shop_id: int, number: int) -> Ticket:
    """The shop's ticket by its number (404 for another shop's)."""
    try:
        return Ticket.objects.select_related("member", "contact", "team", "assignee").get(
            shop_id=shop_id, number=number
        )
    except Ticket.DoesNotExist:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such ticket"), field="number") from None


def ticket_timeline(ticket: Ticket) -> QuerySet[TicketEntry]:
    """The ticket's entries, oldest first, with authors, and each entry's
    attachments as the list ``files``. (A list, not the prefetched manager:
    Django builds a filtered queryset per entry to hold a prefetch, 5 ms for
    a 200-entry timeline.)"""
    return (
        TicketEntry.objects.filter(ticket=ticket)
        .select_related("author")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"), to_attr="files")
        )
        .order_by("created_at", "pk")
    )


def ticket_timeline_shown(ticket: Ticket, *, recent: int | None) -> tuple[list[TicketEntry], int]:
    """What the desk shows of a timeline: the first entry (the member's
    request) and the ``recent`` latest, with how many between are folded
    away; everything when ``recent`` is None or the ticket is short. Three
    queries however long the ticket: its entry ids, then the entries shown
    with their attachments."""
    entries = ticket_timeline(ticket)
    if recent is None:
        return list(entries), 0
    ids = list(entries.values_list("pk", flat=True))
    shown = ids if len(ids) <= recent + 1 else ids[:1] + ids[-recent:]
    return list(entries.filter(pk__in=shown)), len(ids) - len(shown)


def agent_of(user: Any, shop_id: int) -> AgentProfile | None:
    """The operator's agent profile in the shop, if they answer tickets there."""
    if not getattr(user, "is_authenticated", False):
        return None
    return AgentProfile.objects.filter(shop_id=shop_id, user_id=user.pk).first()


def tickets_visible(user: Any, shop_id: int) -> QuerySet[Ticket]:
    """The shop's tickets ``user`` may read: every team's for those who read
    all tickets (analysts, admins); for an agent or a lead the tickets of
    their teams and those assigned to them; nothing for anyone else."""
    tickets = Ticket.objects.filter(shop_id=shop_id, merged_into__isnull=True)
    shop = Shop(pk=shop_id)  # the role counts in this shop
    if user.has_perm("service.view_all_tickets", shop):
        return tickets
    if not user.has_perm("service.view_ticket", shop):
        return tickets.none()
    agent = agent_of(user, shop_id)
    if agent is None:
        return tickets.none()
    teams = TeamMembership.objects.filter(agent=agent).values("team_id")
    return tickets.filter(Q(team_id__in=teams) | Q(assignee=agent))


def teams_led(agent: AgentProfile) -> QuerySet[Team]:
    """The teams ``agent`` leads (whose tickets they may reassign)."""
    return Team.objects.filter(memberships__agent=agent, memberships__role=TeamRole.LEAD)
