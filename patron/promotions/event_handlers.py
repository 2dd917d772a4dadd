"""Pipeline steps that settle checkout holds from the shop's order events.

Each runs in the event's transaction after the order mirror has been updated
(see ``patron.pipeline``).
"""

from __future__ import annotations

from patron.events.services import EventContext
from patron.orders.models import Order, OrderStatus
from patron.promotions.services import holds


def _order(ctx: EventContext) -> Order:
    if ctx.order is not None:  # the order handler's, same transaction
        return ctx.order
    return Order.objects.get(shop=ctx.shop, external_id=ctx.data.order_id)


def capture_hold(ctx: EventContext) -> None:
    """order.paid: the hold for this order (if any) is captured."""
    assert ctx.member is not None
    order = _order(ctx)
    hold = holds.hold_capture(
        shop=ctx.shop,
        order_id=order.external_id,
        order_pk=order.pk,
        member=ctx.member,
        points_used=ctx.data.points_used,
    )
    if hold is not None:
        ctx.effects.append(
            {
                "type": "checkout_hold.captured",
                "order_id": order.external_id,
                "coupons": list(hold.coupons.values_list("code", flat=True).order_by("pk")),
                "points": hold.points,
            }
        )
        return
    used, refused = holds.coupons_use_unreserved(
        shop=ctx.shop,
        member=ctx.member,
        order_id=order.external_id,
        raw_codes=ctx.data.coupon_codes,
    )
    if used:
        ctx.effects.append({"type": "coupons.used", "order_id": order.external_id, "coupons": used})
    for item in refused:
        ctx.effects.append({"type": "coupon.not_used", "order_id": order.external_id, **item})


def cancel_unpaid(ctx: EventContext) -> None:
    """order.cancelled of an order that was reserved but never paid (so not in
    the mirror): release its hold, and that is all the event does."""
    assert ctx.member is not None
    if Order.objects.filter(shop=ctx.shop, external_id=ctx.data.order_id).exists():
        return
    hold = holds.hold_cancel_unpaid(shop=ctx.shop, order_id=ctx.data.order_id, member=ctx.member)
    if hold is None:
        return  # the order handler refuses the unknown order
    ctx.effects.append(
        {
            "type": "checkout_hold.released",
            "order_id": ctx.data.order_id,
            "points": hold.points_returned,
        }
    )
    ctx.stop = True


def release_hold(ctx: EventContext) -> None:
    """order.cancelled: release an unpaid hold, or return what a paid one used."""
    order = _order(ctx)
    hold = holds.hold_on_order_cancelled(
        shop=ctx.shop, order_id=order.external_id, order_pk=order.pk
    )
    if hold is not None:
        ctx.effects.append(
            {
                "type": "checkout_hold.released",
                "order_id": order.external_id,
                "points": hold.points_returned,
            }
        )
        return
    _return_unreserved(ctx, order)


def _return_unreserved(ctx: EventContext, order: Order) -> None:
    returned = holds.coupons_return_unreserved(
        shop=ctx.shop, member_id=order.member_id, order_id=order.external_id
    )
    if returned:
        ctx.effects.append(
            {"type": "coupons.returned", "order_id": order.external_id, "coupons": returned}
        )


def refund_hold(ctx: EventContext) -> None:
    """order.refunded: the refunded lines' points back; the coupons on a full refund."""
    order = _order(ctx)
    refunded = {ln.line_id: (ln.refunded_quantity, ln.quantity) for ln in order.lines.all()}
    outcome = holds.hold_on_order_refunded(
        shop=ctx.shop,
        order_id=order.external_id,
        order_pk=order.pk,
        refunded=refunded,
        full=order.status == OrderStatus.REFUNDED,
    )
    if outcome is None:
        if order.status == OrderStatus.REFUNDED:
            _return_unreserved(ctx, order)
        return
    points, coupons = outcome
    ctx.effects.append(
        {
            "type": "checkout_hold.refunded",
            "order_id": order.external_id,
            "points": points,
            "coupons": coupons,
        }
    )
