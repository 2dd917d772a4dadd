"""Which effects each event type has, in the order they run.

This table is the one place to read what an event does. Later apps (points,
tiers, promotions) add their handlers to the lists; every handler runs in the
event's transaction and appends what it did to ``ctx.effects``.
"""

from __future__ import annotations

from collections.abc import Callable

from patron.events.services import EventContext
from patron.orders import handlers
from patron.points import handlers as points_handlers
from patron.promotions import event_handlers as promotion_handlers
from patron.service import handlers as service_handlers
from patron.tiers import handlers as tier_handlers

Handler = Callable[[EventContext], None]

PIPELINE: dict[str, list[Handler]] = {
    # Creating a member grants the sign-up and profile points inside
    # members.services (every way of creating a member does).
    "member.registered": [handlers.member_registered],
    # A checkout hold is captured before points run: when one paid the order's
    # points, the points app's direct redemption sees the capture and stands aside.
    "order.paid": [
        handlers.resolve_member,
        handlers.order_paid,
        promotion_handlers.capture_hold,
        points_handlers.order_paid,
    ],
    "order.shipped": [handlers.resolve_member, handlers.order_shipped],
    "shipment.updated": [handlers.resolve_member, handlers.shipment_updated],
    "order.change_answered": [handlers.resolve_member, service_handlers.order_change_answered],
    "order.completed": [
        handlers.resolve_member,
        handlers.order_completed,
        points_handlers.order_completed,
    ],
    # An unpaid order (reserved at checkout, never paid) is not in the mirror:
    # its cancellation only releases the hold, and ends the pipeline there.
    "order.cancelled": [
        handlers.resolve_member,
        promotion_handlers.cancel_unpaid,
        handlers.order_cancelled,
        promotion_handlers.release_hold,
        points_handlers.order_cancelled,
    ],
    "order.refunded": [
        handlers.resolve_member,
        handlers.order_refunded,
        promotion_handlers.refund_hold,
        points_handlers.order_refunded,
        service_handlers.order_refunded,
    ],
    "review.posted": [
        handlers.resolve_member,
        handlers.activity_recorded,
        points_handlers.activity,
    ],
    "link.shared": [handlers.resolve_member, handlers.activity_recorded, points_handlers.activity],
}
CUSTOM: list[Handler] = [
    handlers.resolve_member,
    handlers.activity_recorded,
    points_handlers.activity,
]

# Tiers run last on every event that moves growth value, so an upgrade sees the
# order and the points the earlier handlers just wrote (same transaction).
for _type in ("order.paid", "order.cancelled", "order.refunded", "review.posted", "link.shared"):
    PIPELINE[_type].append(tier_handlers.tier_progress)
CUSTOM.append(tier_handlers.tier_progress)


def run_pipeline(ctx: EventContext) -> None:
    for handler in PIPELINE.get(ctx.envelope.type, CUSTOM):
        handler(ctx)
        if ctx.stop:
            break
