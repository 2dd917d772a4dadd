"""Order changes before shipment: the member (portal) or an agent asks to
change the address, the phone number or the delivery time, or to cancel;
Patron refuses once the order has shipped, tells the shop by a signed
``order.change_requested`` webhook, and records the shop's answer (the
``order.change_answered`` event or the API), which the member reads in
their inbox."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.services import audit_record
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.webhooks.services import webhook_emit
from patron.orders.models import Order, OrderStatus
from patron.service.messages import ORDER_CHANGE_ANSWERED
from patron.service.models import (
    AgentProfile,
    EntryKind,
    OrderChangeKind,
    OrderChangeRequest,
    OrderChangeState,
    Ticket,
    TicketEntry,
)
from patron.service.services.tickets import _choice, _text

Actor = User | AnonymousUser | None
WEBHOOK_CHANGE_REQUESTED = "order.change_requested"
#: Only a paid order not yet shipped can still change.
CHANGEABLE = (OrderStatus.CREATED, OrderStatus.PAID)


@transaction.atomic
def order_change_request(
    *,
    member: Member,
    order_id: str,
    kind: str,
    value: str = "",
    agent: AgentProfile | None = None,
    ticket: Ticket | None = None,
    actor: Actor = None,
) -> OrderChangeRequest:
    """Ask the shop to change the order ``order_id``. Refused (naming the
    field, nothing saved or sent) for another member's order, an order that
    has shipped or is cancelled or refunded, and a missing new value."""
    _choice("kind", kind, OrderChangeKind)
    value = _text("value", value, limit=500, required=kind != OrderChangeKind.CANCEL)
    order = (
        Order.objects.select_for_update()
        .filter(shop_id=member.shop_id, external_id=order_id)
        .first()
    )
    if order is None:
        raise PatronError(
            ErrorCode.UNKNOWN_ORDER,
            lazy_format(_("no order %(order_id)s"), order_id=repr(order_id)),
            field="order_id",
        )
    if order.member_id != member.pk:
        raise validation_error("order_id", _("the order belongs to another member"))
    if order.status not in CHANGEABLE or order.shipped_at is not None:
        raise validation_error(
            "order_id",
            lazy_format(
                _("the order is %(status)s; only an order not yet shipped can be changed"),
                status=order.status,
            ),
        )
    now = clock.now()
    change = OrderChangeRequest.objects.create(
        shop_id=member.shop_id,
        order=order,
        member=member,
        ticket=ticket,
        agent=agent,
        kind=kind,
        value=value,
        created_at=now,
    )
    webhook_emit(
        shop=member.shop_id,
        event_type=WEBHOOK_CHANGE_REQUESTED,
        event_id=f"order-change:{change.pk}",
        payload={
            "change_id": change.pk,
            "order_id": order.external_id,
            "member": member.external_id,
            "kind": kind,
            "value": value,
            "requested_by": "agent" if agent else "member",
        },
    )
    if ticket is not None:
        TicketEntry.objects.create(
            shop_id=ticket.shop_id,
            ticket=ticket,
            kind=EntryKind.ACTION,
            channel=ticket.channel,
            author=agent,
            data={"action": "order_change.requested", "change": change.pk, "kind": kind},
            created_at=now,
        )
    audit_record(
        actor=actor,
        action="service.order_change_request",
        obj=change,
        after={"order": order.external_id, "kind": kind, "value": value},
        shop=member.shop_id,
    )
    return change


@transaction.atomic
def order_change_answer(
    *, change: OrderChangeRequest, accepted: bool, reason: str = "", actor: Actor = None
) -> OrderChangeRequest:
    """Record the shop's answer and tell the member. The same answer again
    changes nothing; a different one after the first is refused."""
    reason = _text("reason", reason, limit=200, required=False)
    locked = (
        OrderChangeRequest.objects.select_for_update()
        .select_related("order", "member")
        .get(pk=change.pk)
    )
    answer = OrderChangeState.ACCEPTED if accepted else OrderChangeState.REFUSED
    if locked.state == answer:
        return locked
    if locked.state != OrderChangeState.REQUESTED:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(_("the change was already %(state)s"), state=locked.state),
            field="accepted",
        )
    locked.state = answer
    locked.shop_reason = reason
    locked.answered_at = clock.now()
    locked.save()
    messaging.message_send(
        member=locked.member,
        kind=ORDER_CHANGE_ANSWERED,
        cause=f"order-change:{locked.pk}",
        context={
            "order": locked.order.external_id,
            "change": str(OrderChangeKind(locked.kind).label),
            "outcome": str(OrderChangeState(answer).label),
            "reason": reason,
        },
    )
    if locked.ticket_id is not None:
        TicketEntry.objects.create(
            shop_id=locked.shop_id,
            ticket_id=locked.ticket_id,
            kind=EntryKind.ACTION,
            channel=Ticket.objects.only("channel").get(pk=locked.ticket_id).channel,
            body=reason,
            data={"action": f"order_change.{answer}", "change": locked.pk},
            created_at=locked.answered_at,
        )
    audit_record(
        actor=actor,
        action=f"service.order_change_{answer}",
        obj=locked,
        after={"state": answer},
        reason=reason,
        shop=locked.shop_id,
    )
    return locked
