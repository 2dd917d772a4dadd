"""Returns and exchanges (退换货): a request for lines and quantities of a
delivered order, checked against the shop's return policy, then moved
through its states by agents (and the member, who sends the goods back)::

    requested -> approved | refused
    approved -> sent_back (the member's parcel, with tracking) -> received
    received -> refund_requested (a signed ``return.refund_requested``
                webhook tells the shop to refund) -> refunded -> closed
                (the shop's ``order.refunded`` event does both)
    received -> replacement_shipped (exchanges) -> closed

Each write is one transaction, checks everything before it writes (a
refusal names the field and saves nothing), records a step, notes the
ticket the request is on, and tells the member in their inbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.services import audit_record
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.webhooks.services import webhook_emit
from patron.orders.models import Order, Refund
from patron.service.messages import RETURN_UPDATED, returns_link
from patron.service.models import (
    AgentProfile,
    EntryKind,
    ReturnKind,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnState,
    ReturnStep,
    Ticket,
    TicketEntry,
)
from patron.service.services.return_policy import (
    DELIVERED,
    DESCRIPTION_MAX,
    NOTE_MAX,
    ReturnLineInput,
    _lines_checked,
    _order_checked,
    _photos_checked,
    return_settings,
    return_settings_save,
    returnable_quantities,
)
from patron.service.services.tickets import _choice, _text

__all__ = [
    "DELIVERED",
    "ReturnLineInput",
    "return_settings",
    "return_settings_save",
    "returnable_quantities",
]

RS = ReturnState
Actor = User | AnonymousUser | None

WEBHOOK_REFUND_REQUESTED = "return.refund_requested"


@transaction.atomic
def return_request(
    *,
    member: Member,
    order_id: str,
    lines: Sequence[ReturnLineInput],
    kind: str,
    reason: str,
    description: str = "",
    photos: Sequence[UploadedFile] = (),
    ticket: Ticket | None = None,
    agent: AgentProfile | None = None,
    actor: Actor = None,
) -> ReturnRequest:
    """The member (or an agent for them) asks to return or exchange ``lines``
    of the order ``order_id``. Refused, naming the field, when the order is
    another member's, not delivered, past the shop's window, or a line is
    unknown, named twice, of a non-returnable category or asked for more
    units than are left."""
    _choice("kind", kind, ReturnKind)
    _choice("reason", reason, ReturnReason)
    description = _text("description", description, limit=DESCRIPTION_MAX, required=False)
    _photos_checked(photos)
    if ticket is not None and ticket.shop_id != member.shop_id:
        raise validation_error("ticket", _("the ticket is another shop's"))
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
    now = clock.now()
    _order_checked(order, member, now)
    wanted = _lines_checked(order, lines)
    request = ReturnRequest.objects.create(
        shop_id=member.shop_id,
        order=order,
        member=member,
        ticket=ticket,
        kind=kind,
        reason=reason,
        description=description,
        created_at=now,
        updated_at=now,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(request=request, line=line, quantity=q) for line, q in wanted
    )
    for photo in photos:
        ReturnPhoto.objects.create(
            request=request,
            file=photo,
            content_type=photo.content_type or "",
            size=photo.size or 0,
            created_at=now,
        )
    ReturnStep.objects.create(
        request=request, from_state="", to_state=RS.REQUESTED, agent=agent, at=now
    )
    _ticket_action(request, agent, "return.requested", now)
    audit_record(
        actor=actor,
        action="service.return_request",
        obj=request,
        after={"order": order_id, "lines": [[ln.line_id, q] for ln, q in wanted]},
        shop=member.shop_id,
    )
    return request


def _ticket_action(
    request: ReturnRequest, agent: AgentProfile | None, action: str, at: dt.datetime
) -> None:
    if request.ticket_id is None:
        return
    TicketEntry.objects.create(
        shop_id=request.shop_id,
        ticket_id=request.ticket_id,
        kind=EntryKind.ACTION,
        channel=Ticket.objects.only("channel").get(pk=request.ticket_id).channel,
        author=agent,
        data={"action": action, "return": request.pk, "reference": request.reference},
        created_at=at,
    )


def _locked(request: ReturnRequest) -> ReturnRequest:
    return (
        ReturnRequest.objects.select_for_update()
        .select_related("order", "member")
        .get(pk=request.pk)
    )


def _check_agent(request: ReturnRequest, agent: AgentProfile | None) -> None:
    if agent is not None and agent.shop_id != request.shop_id:
        raise PatronError(ErrorCode.FORBIDDEN, _("not an agent of this shop"), field="agent")


def _expect(request: ReturnRequest, *states: str) -> None:
    if request.state not in states:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(
                _("the request is %(state)s; this step needs it %(wanted)s"),
                state=request.state,
                wanted=" / ".join(states),
            ),
            field="state",
        )


def _move(
    request: ReturnRequest,
    to: str,
    *,
    agent: AgentProfile | None,
    actor: Actor,
    note: str = "",
    data: dict[str, Any] | None = None,
    notify: bool = True,
) -> ReturnRequest:
    now = clock.now()
    before = request.state
    ReturnStep.objects.create(
        request=request,
        from_state=before,
        to_state=to,
        agent=agent,
        note=note,
        data=data or {},
        at=now,
    )
    request.state = to
    request.updated_at = now
    if to == RS.CLOSED:
        request.closed_at = now
    request.save()
    _ticket_action(request, agent, f"return.{to}", now)
    audit_record(
        actor=actor,
        action=f"service.return_{to}",
        obj=request,
        before={"state": before},
        after={"state": to, **(data or {})},
        reason=note,
        shop=request.shop_id,
    )
    if notify:
        messaging.message_send(
            member=request.member,
            kind=RETURN_UPDATED,
            cause=f"return:{request.pk}:{to}",
            context={
                "reference": request.reference,
                "order": request.order.external_id,
                "state": str(ReturnState(to).label),
                "note": note,
                "returns_url": returns_link(),
            },
        )
    return request


@transaction.atomic
def return_approve(
    *, request: ReturnRequest, agent: AgentProfile | None, actor: Actor = None, note: str = ""
) -> ReturnRequest:
    """The agent accepts the request; the member may send the goods back."""
    note = _text("note", note, limit=NOTE_MAX, required=False)
    request = _locked(request)
    _check_agent(request, agent)
    _expect(request, RS.REQUESTED)
    return _move(request, RS.APPROVED, agent=agent, actor=actor, note=note)


@transaction.atomic
def return_refuse(
    *, request: ReturnRequest, agent: AgentProfile | None, reason: str, actor: Actor = None
) -> ReturnRequest:
    """The agent refuses the request, saying why (the member reads it)."""
    reason = _text("reason", reason, limit=NOTE_MAX)
    request = _locked(request)
    _check_agent(request, agent)
    _expect(request, RS.REQUESTED)
    request.refusal_reason = reason
    return _move(request, RS.REFUSED, agent=agent, actor=actor, note=reason)


def _tracking(carrier: str, tracking_number: str) -> tuple[str, str]:
    return (
        _text("carrier", carrier, limit=50),
        _text("tracking_number", tracking_number, limit=64),
    )


@transaction.atomic
def return_goods_sent(
    *,
    request: ReturnRequest,
    carrier: str,
    tracking_number: str,
    agent: AgentProfile | None = None,
    actor: Actor = None,
) -> ReturnRequest:
    """The member sent the goods back (by the member, or an agent for them)."""
    carrier, tracking_number = _tracking(carrier, tracking_number)
    request = _locked(request)
    _check_agent(request, agent)
    _expect(request, RS.APPROVED)
    request.return_carrier, request.return_tracking = carrier, tracking_number
    return _move(
        request,
        RS.SENT_BACK,
        agent=agent,
        actor=actor,
        data={"carrier": carrier, "tracking_number": tracking_number},
    )


@transaction.atomic
def return_receive(
    *, request: ReturnRequest, agent: AgentProfile | None, actor: Actor = None, note: str = ""
) -> ReturnRequest:
    """The warehouse has the goods back."""
    note = _text("note", note, limit=NOTE_MAX, required=False)
    request = _locked(request)
    _check_agent(request, agent)
    _expect(request, RS.SENT_BACK)
    return _move(request, RS.RECEIVED, agent=agent, actor=actor, note=note)


def refund_id_for(request: ReturnRequest) -> str:
    """The refund id the shop is asked to send back in ``order.refunded``."""
    return f"return-{request.pk}"


@transaction.atomic
def return_refund_request(
    *, request: ReturnRequest, agent: AgentProfile | None, actor: Actor = None
) -> ReturnRequest:
    """Ask the shop to refund the returned lines: a signed
    ``return.refund_requested`` webhook naming the refund id its
    ``order.refunded`` event is to carry."""
    request = _locked(request)
    _check_agent(request, agent)
    if request.kind != ReturnKind.RETURN:
        raise validation_error("kind", _("an exchange is not refunded; ship a replacement"))
    _expect(request, RS.RECEIVED)
    request.refund_id = refund_id_for(request)
    lines = list(request.lines.select_related("line").order_by("pk"))
    webhook_emit(
        shop=request.shop_id,
        event_type=WEBHOOK_REFUND_REQUESTED,
        event_id=f"return-refund:{request.pk}",
        payload={
            "return_id": request.pk,
            "reference": request.reference,
            "refund_id": request.refund_id,
            "order_id": request.order.external_id,
            "member": request.member.external_id,
            "reason": request.reason,
            "lines": [{"line_id": rl.line.line_id, "quantity": rl.quantity} for rl in lines],
        },
    )
    return _move(
        request,
        RS.REFUND_REQUESTED,
        agent=agent,
        actor=actor,
        data={"refund_id": request.refund_id},
        notify=False,
    )


@transaction.atomic
def return_replacement_ship(
    *,
    request: ReturnRequest,
    agent: AgentProfile | None,
    carrier: str,
    tracking_number: str,
    actor: Actor = None,
) -> ReturnRequest:
    """An exchange: the replacement is on its way."""
    carrier, tracking_number = _tracking(carrier, tracking_number)
    request = _locked(request)
    _check_agent(request, agent)
    if request.kind != ReturnKind.EXCHANGE:
        raise validation_error("kind", _("a return is refunded, not replaced"))
    _expect(request, RS.RECEIVED)
    request.replacement_carrier, request.replacement_tracking = carrier, tracking_number
    return _move(
        request,
        RS.REPLACEMENT_SHIPPED,
        agent=agent,
        actor=actor,
        data={"carrier": carrier, "tracking_number": tracking_number},
    )


@transaction.atomic
def return_close(
    *, request: ReturnRequest, agent: AgentProfile | None, actor: Actor = None, note: str = ""
) -> ReturnRequest:
    """Close a request that is done with: refunded, replaced or refused."""
    note = _text("note", note, limit=NOTE_MAX, required=False)
    request = _locked(request)
    _check_agent(request, agent)
    _expect(request, RS.REFUNDED, RS.REPLACEMENT_SHIPPED, RS.REFUSED)
    return _move(request, RS.CLOSED, agent=agent, actor=actor, note=note, notify=False)


def return_refund_recorded(*, order: Order, refund: Refund) -> ReturnRequest | None:
    """The shop's ``order.refunded`` landed (in the event's transaction, after
    the order mirror and the points reversal): the request it answers is
    refunded and closed. The request is the one whose refund id the event
    carries, or else the order's only request waiting for its refund."""
    waiting = ReturnRequest.objects.select_for_update().select_related("order", "member")
    request = waiting.filter(order=order, refund_id=refund.external_id).first()
    if request is None:
        candidates = list(
            waiting.filter(order=order, state__in=[RS.REFUND_REQUESTED, RS.RECEIVED])[:2]
        )
        request = candidates[0] if len(candidates) == 1 else None
    if request is None or request.state not in (RS.REFUND_REQUESTED, RS.RECEIVED):
        return None
    request.refund_id = refund.external_id
    request.refund_amount = refund.amount
    request.refunded_at = refund.at
    data = {"refund_id": refund.external_id, "amount": refund.amount}
    _move(request, RS.REFUNDED, agent=None, actor=None, data=data)
    return _move(request, RS.CLOSED, agent=None, actor=None, notify=False)
