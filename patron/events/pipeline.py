"""Which effects each event type has, in the order they run.

This table is the one place to read what an event does. Later apps (points,
tiers, promotions) add their handlers to the lists; every handler runs in the
event's transaction and appends what it did to ``ctx.effects``.
"""

from __future__ import annotations

from collections.abc import Callable

from patron.events import handlers
from patron.events.services import EventContext

Handler = Callable[[EventContext], None]

PIPELINE: dict[str, list[Handler]] = {
    "member.registered": [handlers.member_registered],
    "order.paid": [handlers.resolve_member, handlers.order_paid],
    "order.shipped": [handlers.resolve_member, handlers.order_shipped],
    "order.completed": [handlers.resolve_member, handlers.order_completed],
    "order.cancelled": [handlers.resolve_member, handlers.order_cancelled],
    "order.refunded": [handlers.resolve_member, handlers.order_refunded],
    "review.posted": [handlers.resolve_member, handlers.activity_recorded],
    "link.shared": [handlers.resolve_member, handlers.activity_recorded],
}
CUSTOM: list[Handler] = [handlers.resolve_member, handlers.activity_recorded]


def run_pipeline(ctx: EventContext) -> None:
    for handler in PIPELINE.get(ctx.envelope.type, CUSTOM):
        handler(ctx)
