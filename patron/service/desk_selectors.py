"""Reads for the agents' desk in the console: the filtered ticket list and
the member panel beside a conversation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from patron.members.models import Member
from patron.service.models import AgentProfile, Ticket, TicketChannel, TicketStatus, TicketTopic
from patron.service.selectors import tickets_visible

RECENT_ORDERS = 5
PAST_TICKETS = 10


@dataclass(frozen=True)
class DeskFilters:
    """What the desk's list is narrowed to; unknown values are ignored."""

    status: str = ""
    mine: bool = False
    unassigned: bool = False
    team: int | None = None
    channel: str = ""
    topic: str = ""

    @classmethod
    def from_query(cls, query: Any) -> DeskFilters:
        def choice(name: str, allowed: list[str]) -> str:
            value = str(query.get(name, ""))
            return value if value in allowed else ""

        raw_team = str(query.get("team", ""))
        return cls(
            status=choice("status", [*TicketStatus.values, "active"]),
            mine=query.get("mine") == "1",
            unassigned=query.get("unassigned") == "1",
            team=int(raw_team) if raw_team.isascii() and raw_team.isdigit() else None,
            channel=choice("channel", list(TicketChannel.values)),
            topic=choice("topic", list(TicketTopic.values)),
        )


def desk_tickets(
    *, user: Any, shop_id: int, filters: DeskFilters, agent: AgentProfile | None
) -> QuerySet[Ticket]:
    """The tickets ``user`` may see, narrowed by ``filters``, most recently
    updated first, with the member's tier name, team and assignee in the row."""
    tickets = tickets_visible(user, shop_id)
    if filters.status == "active":
        tickets = tickets.exclude(status__in=(TicketStatus.SOLVED, TicketStatus.CLOSED))
    elif filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.mine:
        tickets = tickets.filter(assignee=agent) if agent is not None else tickets.none()
    if filters.unassigned:
        tickets = tickets.filter(assignee__isnull=True)
    if filters.team is not None:
        tickets = tickets.filter(team_id=filters.team)
    if filters.channel:
        tickets = tickets.filter(channel=filters.channel)
    if filters.topic:
        tickets = tickets.filter(topic=filters.topic)
    # Only the member and the SLA are joined: every further join multiplied
    # PostgreSQL's planning time (9 relations planned in 10-20 ms, more than
    # the page took to run). Team, assignee and contact come by primary key
    # in one query each; the tier names are subqueries run for the page's
    # rows only. The order matches the index service_ticket_desk_recent, so
    # the page is read from the index and stops after 50 rows.
    tier = Member.objects.filter(pk=OuterRef("member_id"))
    return (
        tickets.select_related("member", "sla")
        .prefetch_related("team", "assignee", "contact")
        .annotate(
            tier_name=Subquery(tier.values("tier_state__tier__name")[:1]),
            tier_name_en=Subquery(tier.values("tier_state__tier__name_en")[:1]),
        )
        .order_by("-updated_at", "-pk")
    )


def member_panel(*, member: Member, language: str, exclude_ticket: Ticket | None) -> dict[str, Any]:
    """What the agent sees of the member beside the conversation: tier,
    points, coupons, recent orders with their lines, past tickets."""
    from patron.orders.models import Order
    from patron.points import selectors as points_selectors
    from patron.promotions import selectors as promotion_selectors
    from patron.tiers import member_selectors

    orders = list(
        Order.objects.filter(member=member)
        .prefetch_related(Prefetch("lines"))
        .order_by("-placed_at", "-pk")[:RECENT_ORDERS]
    )
    past = Ticket.objects.filter(member=member, merged_into__isnull=True).order_by(
        "-created_at", "-pk"
    )
    if exclude_ticket is not None:
        past = past.exclude(pk=exclude_ticket.pk)
    return {
        "tier": member_selectors.member_tier_card(member, language),
        "points": points_selectors.member_points_summary(member),
        "coupons": promotion_selectors.coupon_wallet(member)["usable"],
        "orders": orders,
        "past_tickets": list(past[:PAST_TICKETS]),
        # SATISFACTION SLOT: the rating of past tickets, when the desk records one.
        "satisfaction": None,
    }
