"""Pipeline steps that translate an event into calls on members and orders."""

from __future__ import annotations

from typing import Any

from patron.events.schemas import (
    CheckpointData,
    MemberRegisteredData,
    OrderPaidData,
    OrderRefundedData,
    OrderShippedData,
    ShipmentUpdatedData,
)
from patron.events.services import EventContext
from patron.members import selectors as member_selectors
from patron.members import services as member_services
from patron.orders import services as order_services
from patron.orders import shipments
from patron.orders.models import Order, OrderStatus


def resolve_member(ctx: EventContext) -> None:
    ctx.member = member_selectors.member_get(shop=ctx.shop, external_id=ctx.envelope.member)


def member_registered(ctx: EventContext) -> None:
    data: MemberRegisteredData = ctx.data
    fields: dict[str, Any] = {
        "name": data.name,
        "phone": data.phone,
        "email": data.email,
        "birthday": data.birthday,
        "gender": data.gender,
        "registration_channel": data.channel,
        "language": data.language,
        "registered_at": ctx.occurred_at,
    }
    if data.consents is not None:
        fields["consent_email"] = data.consents.email
        fields["consent_sms"] = data.consents.sms
        fields["consent_in_app"] = data.consents.in_app
    member, created, points_effects = member_services.member_upsert(
        shop=ctx.shop,
        external_id=ctx.envelope.member,
        fields=fields,
        field_prefix="data.",
        event=ctx.event,
    )
    ctx.member = member
    ctx.effects.append(
        {"type": "member.created" if created else "member.updated", "member": member.external_id}
    )
    # Sign-up and profile-completed points, granted by member_upsert.
    ctx.effects.extend(points_effects)


def _order_effect(order: Order, kind: str) -> dict[str, Any]:
    return {"type": kind, "order_id": order.external_id, "status": order.status}


def paid_order_input(data: OrderPaidData) -> order_services.PaidOrderInput:
    return order_services.PaidOrderInput(
        order_id=data.order_id,
        lines=[
            order_services.LineInput(
                line_id=ln.line_id,
                sku=ln.sku,
                name=ln.name,
                category=ln.category,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
            )
            for ln in data.lines
        ],
        paid_amount=data.paid_amount,
        shipping_fee=data.shipping_fee,
        discount_amount=data.discount_amount,
        points_used=data.points_used,
        points_amount=data.points_amount,
        coupon_codes=list(data.coupon_codes),
        currency=data.currency,
        placed_at=data.placed_at,
    )


def order_recorded_effect(order: Order) -> dict[str, Any]:
    return {**_order_effect(order, "order.recorded"), "paid_amount": order.paid_amount}


def order_paid(ctx: EventContext) -> None:
    assert ctx.member is not None
    order = order_services.order_record_paid(
        shop=ctx.shop,
        member=ctx.member,
        data=paid_order_input(ctx.data),
        at=ctx.occurred_at,
        event_id=ctx.envelope.id,
    )
    ctx.order = order
    ctx.effects.append(order_recorded_effect(order))


def _transition(ctx: EventContext, to: str) -> None:
    order = order_services.order_lock(shop=ctx.shop, order_id=ctx.data.order_id, member=ctx.member)
    ctx.order = order
    order_services.order_transition(
        order=order, to=to, at=ctx.occurred_at, event_id=ctx.envelope.id, note=ctx.data.note
    )
    ctx.effects.append(_order_effect(order, f"order.{to}"))


def _checkpoints(items: list[CheckpointData]) -> list[shipments.CheckpointInput]:
    return [
        shipments.CheckpointInput(at=c.at, description=c.description, location=c.location)
        for c in items
    ]


def order_shipped(ctx: EventContext) -> None:
    _transition(ctx, OrderStatus.SHIPPED)
    data: OrderShippedData = ctx.data
    if data.tracking_number and ctx.order is not None:
        shipments.shipment_record(
            order=ctx.order,
            carrier=data.carrier,
            tracking_number=data.tracking_number,
            checkpoints=_checkpoints(data.checkpoints),
            at=ctx.occurred_at,
        )


def shipment_updated(ctx: EventContext) -> None:
    """New scans of a parcel (its order's status does not change)."""
    data: ShipmentUpdatedData = ctx.data
    order = order_services.order_lock(shop=ctx.shop, order_id=data.order_id, member=ctx.member)
    ctx.order = order
    shipment = shipments.shipment_record(
        order=order,
        carrier=data.carrier,
        tracking_number=data.tracking_number,
        checkpoints=_checkpoints(data.checkpoints),
        at=ctx.occurred_at,
    )
    ctx.effects.append(
        {
            "type": "shipment.updated",
            "order_id": order.external_id,
            "tracking_number": shipment.tracking_number,
            "checkpoints": shipment.checkpoints.count(),
        }
    )


def order_completed(ctx: EventContext) -> None:
    _transition(ctx, OrderStatus.COMPLETED)


def order_cancelled(ctx: EventContext) -> None:
    _transition(ctx, OrderStatus.CANCELLED)


def order_refunded(ctx: EventContext) -> None:
    data: OrderRefundedData = ctx.data
    order = order_services.order_lock(shop=ctx.shop, order_id=data.order_id, member=ctx.member)
    outcome = order_services.order_refund(
        order=order,
        refund_id=data.refund_id,
        lines=None
        if data.lines is None
        else [
            order_services.RefundLineInput(line_id=ln.line_id, quantity=ln.quantity)
            for ln in data.lines
        ],
        at=ctx.occurred_at,
        event_id=ctx.envelope.id,
    )
    ctx.effects.append(
        {
            **_order_effect(order, "order.refunded"),
            "refund_id": data.refund_id,
            "amount": outcome.refund.amount,
            "lines": [
                {"line_id": ln.line_id, "quantity": q, "amount": a} for ln, q, a in outcome.lines
            ],
        }
    )


def activity_recorded(ctx: EventContext) -> None:
    """Reviews, shares and custom events are stored; earning rules act on them."""
    ctx.effects.append({"type": "activity.recorded", "activity": ctx.envelope.type})
