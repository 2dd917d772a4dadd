"""Pipeline steps of the service desk (registered in ``patron.pipeline``)."""

from __future__ import annotations

from patron.events.schemas import OrderChangeAnsweredData, OrderRefundedData
from patron.events.services import EventContext
from patron.orders.models import Order, Refund
from patron.service.services.returns import return_refund_recorded


def order_refunded(ctx: EventContext) -> None:
    """The refund closes the return request it answers (after the order
    mirror recorded it and points reversed the refunded lines)."""
    data: OrderRefundedData = ctx.data
    order = Order.objects.get(shop=ctx.shop, external_id=data.order_id)
    refund = Refund.objects.get(order=order, external_id=data.refund_id)
    request = return_refund_recorded(order=order, refund=refund)
    if request is not None:
        ctx.effects.append(
            {"type": "return.closed", "return_id": request.pk, "refund_id": data.refund_id}
        )


def order_change_answered(ctx: EventContext) -> None:
    """The shop's answer to a change Patron asked it for."""
    from patron.core.errors import ErrorCode, PatronError
    from patron.service.models import OrderChangeRequest
    from patron.service.services.order_changes import order_change_answer

    data: OrderChangeAnsweredData = ctx.data
    change = OrderChangeRequest.objects.filter(
        shop=ctx.shop, pk=data.change_id, order__external_id=data.order_id
    ).first()
    if change is None:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            "no such change request of this order",
            field="data.change_id",
        )
    done = order_change_answer(change=change, accepted=data.accepted, reason=data.reason)
    ctx.effects.append({"type": "order.change_answered", "change_id": done.pk, "state": done.state})
