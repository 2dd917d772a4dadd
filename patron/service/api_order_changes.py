"""Shop API: order changes before shipment (``/api/v1/service/order-changes``).

The shop (or its customer-service tool) asks for a member; the shop answers
here or by the ``order.change_answered`` event."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import ApiScope
from patron.core.validation import MultilineText, Text
from patron.members import selectors as member_selectors
from patron.service import services
from patron.service.models import OrderChangeRequest

router = Router(tags=["service"])
SCOPE = ApiScope.SERVICE


class ChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member: Annotated[Text, Field(min_length=1, max_length=64)]
    order_id: Annotated[Text, Field(min_length=1, max_length=64)]
    kind: Literal["address", "phone", "delivery_time", "cancel"]
    value: Annotated[MultilineText, Field(max_length=500)] = Field(
        "", description="the new address, phone number or delivery time; empty to cancel"
    )


class AnswerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    accepted: bool
    reason: Annotated[MultilineText, Field(max_length=200)] = ""


class ChangeOut(Schema):
    id: int
    order_id: str
    member: str
    kind: str
    value: str
    state: Literal["requested", "accepted", "refused"]
    shop_reason: str
    created_at: str
    answered_at: str | None


def change_out(change: OrderChangeRequest) -> dict[str, Any]:
    def at(value: Any) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value else None

    return {
        "id": change.pk,
        "order_id": change.order.external_id,
        "member": change.member.external_id,
        "kind": change.kind,
        "value": change.value,
        "state": change.state,
        "shop_reason": change.shop_reason,
        "created_at": at(change.created_at),
        "answered_at": at(change.answered_at),
    }


def _get(shop_id: int, change_id: int) -> OrderChangeRequest:
    found = (
        OrderChangeRequest.objects.filter(shop_id=shop_id, pk=change_id)
        .select_related("order", "member")
        .first()
    )
    if found is None:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such change request"), field="change_id")
    return found


@router.post(
    "", response={201: ChangeOut}, summary="Ask to change an order", auth=ApiKeyAuth(SCOPE)
)
def change_create(request: HttpRequest, payload: ChangeIn) -> HttpResponse:
    """201; 422 naming ``order_id`` once the order has shipped. Patron sends
    the signed ``order.change_requested`` webhook."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        member = member_selectors.member_get(shop=shop, external_id=payload.member)
        change = services.order_change_request(
            member=member, order_id=payload.order_id, kind=payload.kind, value=payload.value
        )
        return 201, change_out(_get(shop.pk, change.pk))

    return with_idempotency(request, shop, handler)


@router.get("/{change_id}", response=ChangeOut, summary="One change", auth=ApiKeyAuth(SCOPE))
def change_read(request: HttpRequest, change_id: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    return json_response(200, change_out(_get(shop.pk, change_id)))


@router.post(
    "/{change_id}/answer",
    response=ChangeOut,
    summary="The shop's answer to a change",
    auth=ApiKeyAuth(SCOPE),
)
def change_answer(request: HttpRequest, change_id: int, payload: AnswerIn) -> HttpResponse:
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        done = services.order_change_answer(
            change=_get(shop.pk, change_id), accepted=payload.accepted, reason=payload.reason
        )
        return 200, change_out(_get(shop.pk, done.pk))

    return with_idempotency(request, shop, handler)
