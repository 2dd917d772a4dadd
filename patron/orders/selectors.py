"""Reads on orders shared by the statistics of other apps."""

from __future__ import annotations

from django.db.models import F, QuerySet, Sum

from patron.orders.models import Order, OrderStatus


def counted_orders(orders: QuerySet[Order]) -> QuerySet[Order]:
    """The orders statistics count: a cancelled order counts nowhere; a
    refunded one still counts as an order (its revenue is ``net_revenue``)."""
    return orders.exclude(status=OrderStatus.CANCELLED)


def net_revenue() -> Sum:
    """What orders brought in: paid less refunded."""
    return Sum(F("paid_amount") - F("refunded_amount"))
