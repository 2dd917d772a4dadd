"""Pipeline steps of the service desk (registered in ``patron.pipeline``)."""

from __future__ import annotations

from patron.events.schemas import OrderRefundedData
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
