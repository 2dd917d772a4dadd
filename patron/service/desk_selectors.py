"""Reads for the agents' desk in the console: the filtered ticket list, the
member panel beside a conversation and the tickets whose SLA is at risk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from patron.members.models import Member
from patron.service.models import (
    AgentProfile,
    ReturnLine,
    ReturnRequest,
    ReturnState,
    SlaTarget,
    Ticket,
    TicketChannel,
    TicketStatus,
    TicketTopic,
)
from patron.service.models.desk import DONE_STATUSES
from patron.service.selectors import tickets_visible

RECENT_ORDERS = 5
PAST_TICKETS = 10
OPEN_RETURNS = 10


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
    points, coupons, recent orders with their lines and parcels (carrier,
    tracking number, latest scan), open return and exchange requests with
    their lines, past tickets. A fixed number of queries however many orders,
    parcels, scans or requests there are."""
    from patron.orders.models import Order
    from patron.orders.shipments import orders_tracking
    from patron.points import selectors as points_selectors
    from patron.promotions import selectors as promotion_selectors
    from patron.tiers import member_selectors

    orders = list(
        Order.objects.filter(member=member)
        .prefetch_related(Prefetch("lines"))
        .order_by("-placed_at", "-pk")[:RECENT_ORDERS]
    )
    tracking = orders_tracking(orders)
    for order in orders:
        order.parcels = [  # type: ignore[attr-defined]
            {**parcel, "latest": parcel["checkpoints"][0] if parcel["checkpoints"] else None}
            for parcel in tracking[order.pk]
        ]
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
        "returns": open_returns(member),
        "past_tickets": list(past[:PAST_TICKETS]),
        # SATISFACTION SLOT: the rating of past tickets, when the desk records
        # one. Tickets carry no rating yet (surveys are the feedback app's).
        "satisfaction": None,
    }


def open_returns(member: Member) -> list[ReturnRequest]:
    """The member's return and exchange requests not closed yet (a refused,
    refunded or replaced one still waits to be closed), newest first, with
    their order and lines: two queries."""
    return list(
        ReturnRequest.objects.filter(member=member)
        .exclude(state=ReturnState.CLOSED)
        .select_related("order")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("line").order_by("pk"))
        )
        .order_by("-created_at", "-pk")[:OPEN_RETURNS]
    )


#: The most rows the "SLA at risk" page lists (soonest first).
AT_RISK_MAX = 500
#: target -> when the ticket is still held to it (see ``TicketSla.upcoming``)
_HELD: dict[str, Q] = {
    SlaTarget.FIRST_RESPONSE: Q(first_response_at__isnull=True),
    SlaTarget.NEXT_RESPONSE: Q(sla__next_from__isnull=False),
    SlaTarget.RESOLUTION: Q(),
}


@dataclass(frozen=True)
class AtRisk:
    """A ticket with the target that is closest to (or past) its due time."""

    ticket: Ticket
    target: str
    due_at: dt.datetime
    breached: bool

    @property
    def target_label(self) -> str:
        return str(SlaTarget(self.target).label)


def _risky(target: str, now: dt.datetime) -> Q:
    # The warning time is cleared once the scan has warned (or found the
    # breach), so a due time without one is past its warning already.
    due, warn = f"sla__{target}_due_at", f"sla__{target}_warn_at"
    return (
        _HELD[target]
        & Q(**{f"{due}__isnull": False})
        & (Q(**{f"{warn}__isnull": True}) | Q(**{f"{warn}__lte": now}) | Q(**{f"{due}__lte": now}))
    )


def tickets_at_risk(*, user: Any, shop_id: int, now: dt.datetime) -> list[AtRisk]:
    """The open tickets ``user`` may see whose SLA clock runs and one of
    whose targets is inside its warning window or already past due,
    soonest due first (a breach's time is its due time)."""
    risky = Q()
    for target in SlaTarget.values:
        risky |= _risky(target, now)
    tickets = (
        tickets_visible(user, shop_id)
        .exclude(status__in=DONE_STATUSES)
        .filter(sla__paused_since__isnull=True)
        .filter(risky)
        .select_related("member", "contact", "team", "assignee", "sla")
        .order_by("pk")[:AT_RISK_MAX]
    )
    found = []
    for ticket in tickets:
        sla = ticket.sla
        held: dict[str, bool] = {
            SlaTarget.FIRST_RESPONSE: ticket.first_response_at is None,
            SlaTarget.NEXT_RESPONSE: sla.next_from is not None,
            SlaTarget.RESOLUTION: True,
        }
        candidates = []
        for target in SlaTarget.values:
            due = getattr(sla, f"{target}_due_at")
            warn = getattr(sla, f"{target}_warn_at")
            if held[target] and due is not None and (warn is None or warn <= now or due <= now):
                candidates.append((due, target))
        if candidates:
            due, target = min(candidates)
            found.append(AtRisk(ticket=ticket, target=target, due_at=due, breached=due <= now))
    return sorted(found, key=lambda row: (row.due_at, row.ticket.pk))
