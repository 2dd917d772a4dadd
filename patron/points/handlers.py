"""Pipeline steps (``patron.pipeline``) that turn events into points.

Each runs in the event's transaction after the order handlers, and appends
what it did to ``ctx.effects`` so the event's result lists every point moved.
"""

from __future__ import annotations

from typing import Any

from patron.events.services import EventContext
from patron.orders.models import Order, Refund
from patron.points import services
from patron.rules.models import Trigger


def _order(ctx: EventContext) -> Order:
    order = ctx.order  # the order handler's, same transaction
    if order is None:
        order = Order.objects.get(shop=ctx.shop, external_id=ctx.data.order_id)
    order.shop = ctx.shop
    if ctx.member is not None:
        order.member = ctx.member
    return order


def order_paid(ctx: EventContext) -> None:
    order = _order(ctx)
    assert ctx.member is not None
    ctx.effects.extend(services.order_redeem(order=order, event=ctx.event))
    ctx.effects.extend(services.order_earn(order=order, member=ctx.member, event=ctx.event))


def order_completed(ctx: EventContext) -> None:
    ctx.effects.extend(services.order_completed(order=_order(ctx), event=ctx.event))


def order_cancelled(ctx: EventContext) -> None:
    ctx.effects.extend(services.order_cancelled(order=_order(ctx), event=ctx.event))


def order_refunded(ctx: EventContext) -> None:
    order = _order(ctx)
    refund = Refund.objects.get(order=order, external_id=ctx.data.refund_id)
    ctx.effects.extend(services.order_refunded(order=order, refund=refund, event=ctx.event))


def _data(ctx: EventContext) -> dict[str, Any]:
    data = ctx.event.payload.get("data") if isinstance(ctx.event.payload, dict) else None
    return dict(data or {})


def activity(ctx: EventContext) -> None:
    """Reviews, shares and custom.<name> events earn by the rules for their type."""
    assert ctx.member is not None
    ctx.member.shop = ctx.shop
    data = _data(ctx)
    once_key = None
    if ctx.envelope.type == Trigger.REVIEW_POSTED and data.get("review_id"):
        # One review earns once, whatever event ids the shop sends it under.
        once_key = f"review:{data['review_id']}"
    ctx.effects.extend(
        services.action_earn(
            member=ctx.member,
            trigger=ctx.envelope.type,
            data=data,
            at=ctx.occurred_at,
            event=ctx.event,
            once_key=once_key,
        )
    )
