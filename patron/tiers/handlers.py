"""Event pipeline steps for tiers: accrue growth value, then upgrade at once.

They run after the order and points handlers (``patron.pipeline``), in
the event's transaction, so an upgrade is part of the event that caused it.
"""

from __future__ import annotations

from patron.events.services import EventContext
from patron.members import services as member_services
from patron.orders.models import Order
from patron.tiers import selectors
from patron.tiers.models import GrowthKind, QualifyingMeasure
from patron.tiers.services import growth, upgrades
from patron.tiers.services.definitions import tiers_seed_defaults

ORDER_EVENTS = {"order.paid", "order.refunded", "order.cancelled"}


def tier_progress(ctx: EventContext) -> None:
    """Record the event's growth value and upgrade the member if it is enough."""
    member = ctx.member
    if member is None:
        return
    program = selectors.tier_program_get(ctx.shop)
    if program.pk is None:  # a shop that never configured tiers gets the defaults
        program = tiers_seed_defaults(shop=ctx.shop)
    member_services.member_lock(member)
    event_type = ctx.envelope.type
    delta = 0
    order: Order | None = None
    if event_type in ORDER_EVENTS:
        order = ctx.order  # the order handler's, same transaction
        if order is None:
            order = Order.objects.get(shop=ctx.shop, external_id=ctx.data.order_id)
        if event_type == "order.paid":
            delta = growth.growth_order_paid(
                member=member, order=order, program=program, event_id=ctx.envelope.id
            )
        else:
            delta = growth.growth_order_reversed(
                member=member, order=order, at=ctx.occurred_at, event_id=ctx.envelope.id
            )
    elif event_type == "review.posted":
        # Once per review, whatever event id the shop resends it under.
        delta = growth.growth_review(
            member=member,
            review_id=ctx.data.review_id,
            weight=program.growth_per_review,
            at=ctx.occurred_at,
            event_id=ctx.envelope.id,
        )
    elif event_type == "link.shared" or event_type.startswith("custom."):
        delta = growth.growth_activity(
            member=member,
            kind=GrowthKind.ACTIVITY,
            weight=program.growth_per_activity,
            at=ctx.occurred_at,
            event_id=ctx.envelope.id,
        )
    elif program.qualifying_measure != QualifyingMeasure.LIFETIME_POINTS:
        return
    points_mode = program.qualifying_measure == QualifyingMeasure.LIFETIME_POINTS
    value = None
    if delta:
        value = selectors.growth_value(member, program)
        ctx.effects.append({"type": "growth.changed", "delta": delta, "growth_value": value})
    reversal = event_type in ORDER_EVENTS and event_type != "order.paid"
    tiers = selectors.active_tiers(ctx.shop)
    effect = None
    if reversal and order is not None and (delta < 0 or points_mode):
        # A refund or cancellation: an upgrade this order caused and no
        # longer earns is taken back at once, not after protection and grace.
        effect = upgrades.tier_upgrade_reverse_if_unearned(
            member=member,
            program=program,
            tiers=tiers,
            order=order,
            event_id=ctx.envelope.id,
            value=None if points_mode else value,
        )
    elif delta > 0 or points_mode:
        effect = upgrades.tier_upgrade_if_qualified(
            member=member,
            program=program,
            tiers=tiers,
            event_id=ctx.envelope.id,
            value=None if points_mode else value,
        )
    if effect is not None:
        ctx.effects.append(effect)
