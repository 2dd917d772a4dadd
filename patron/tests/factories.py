"""A counter of the rows a refused request must leave alone, across apps (the
composition layer may import them all; tests of a lower app use the
``row_counts`` fixture of patron/conftest.py)."""

from __future__ import annotations

from patron.core.models import ApiKey, AuditLog, IdempotencyRecord
from patron.events.models import Event
from patron.members.models import Member
from patron.orders.models import Order, OrderLine, OrderStatusChange, Refund, RefundLine

COUNTED = (
    Member,
    Order,
    OrderLine,
    OrderStatusChange,
    Refund,
    RefundLine,
    Event,
    IdempotencyRecord,
    AuditLog,
    ApiKey,
)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}
