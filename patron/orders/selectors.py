"""Reads on orders: a member's orders, and what the statistics of other apps share."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet, Sum

from patron.core.pages import newest_first_page
from patron.members.models import Member
from patron.orders.models import Order, OrderLine, OrderStatus


def counted_orders(orders: QuerySet[Order]) -> QuerySet[Order]:
    """The orders statistics count: a cancelled order counts nowhere; a
    refunded one still counts as an order (its revenue is ``net_revenue``)."""
    return orders.exclude(status=OrderStatus.CANCELLED)


def net_revenue() -> Sum:
    """What orders brought in: paid less refunded."""
    return Sum(F("paid_amount") - F("refunded_amount"))


def member_orders_page(
    *, member: Member, limit: int = 20, before: int | None = None
) -> tuple[list[Order], int | None]:
    """A member's orders with their lines (prefetched), newest first, and the
    cursor of the next page; ``before`` is the id of the last order of the
    previous page."""
    query = Order.objects.filter(member=member).prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
    )
    return newest_first_page(query, limit=limit, before=before)
