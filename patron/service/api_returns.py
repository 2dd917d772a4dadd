"""Shop API: returns and exchanges (``/api/v1/service/returns``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.core.validation import MultilineText, Text
from patron.members import selectors as member_selectors
from patron.service import selectors_returns as selectors
from patron.service import services
from patron.service.models import ReturnKind, ReturnReason, ReturnState

router = Router(tags=["service"])
SCOPE = ApiScope.SERVICE

States = Literal[
    "requested",
    "approved",
    "refused",
    "sent_back",
    "received",
    "refund_requested",
    "refunded",
    "replacement_shipped",
    "closed",
]
Kinds = Literal["return", "exchange"]
Reasons = Literal["no_reason", "defective", "wrong_item", "not_as_described", "size", "other"]
# The literals are the models' choices, spelled out for the OpenAPI document.
assert set(States.__args__) == set(ReturnState.values)  # type: ignore[attr-defined]
assert set(Kinds.__args__) == set(ReturnKind.values)  # type: ignore[attr-defined]
assert set(Reasons.__args__) == set(ReturnReason.values)  # type: ignore[attr-defined]


class ReturnLineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line_id: Annotated[Text, Field(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(ge=1, le=100_000)]


class ReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member: Annotated[Text, Field(min_length=1, max_length=64)] = Field(
        description="the member's external_id"
    )
    order_id: Annotated[Text, Field(min_length=1, max_length=64)]
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=500)]
    kind: Kinds = Field(description="return (for a refund) or exchange")
    reason: Reasons
    description: Annotated[MultilineText, Field(max_length=2000)] = ""


class TransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    action: Literal[
        "approve", "refuse", "goods_sent", "receive", "refund", "ship_replacement", "close"
    ] = Field(
        description="approve or refuse (with reason) a request; goods_sent (carrier, "
        "tracking_number); receive; refund (asks the shop by the return.refund_requested "
        "webhook); ship_replacement (carrier, tracking_number); close"
    )
    reason: Annotated[MultilineText, Field(max_length=500)] = ""
    note: Annotated[MultilineText, Field(max_length=500)] = ""
    carrier: Annotated[Text, Field(max_length=50)] = ""
    tracking_number: Annotated[Text, Field(max_length=64)] = ""


class TrackingOut(Schema):
    carrier: str
    tracking_number: str


class ReturnLineOut(Schema):
    line_id: str
    sku: str
    name: str
    quantity: int


class StepOut(Schema):
    state: str
    at: str
    agent: str | None
    note: str


class ReturnOut(Schema):
    id: int
    reference: str
    order_id: str
    member: str
    ticket: int | None
    kind: str
    reason: str
    description: str
    state: str
    refusal_reason: str
    lines: list[ReturnLineOut]
    photos: list[str]
    return_tracking: TrackingOut | None
    replacement_tracking: TrackingOut | None
    refund_id: str | None
    refund_amount: int | None = Field(description="fen, once the shop refunded")
    created_at: str
    refunded_at: str | None
    closed_at: str | None
    steps: list[StepOut]


class ReturnsOut(Schema):
    items: list[ReturnOut]
    next_before: int | None


class ReturnsQuery(Schema):
    state: States | None = None
    member: Text | None = Field(None, description="a member's external_id")
    order_id: Text | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


@router.get(
    "", response=ReturnsOut, summary="Return requests, newest first", auth=ApiKeyAuth(SCOPE)
)
def returns_list(request: HttpRequest, query: Query[ReturnsQuery]) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    member = (
        member_selectors.member_get(shop=shop, external_id=query.member) if query.member else None
    )
    rows, after = selectors.returns_page(
        shop_id=shop.pk,
        state=query.state,
        member=member,
        order_id=query.order_id,
        limit=query.limit,
        before=query.before,
    )
    return json_response(
        200, {"items": [selectors.return_out(r) for r in rows], "next_before": after}
    )


@router.get(
    "/{return_id}", response=ReturnOut, summary="One return request", auth=ApiKeyAuth(SCOPE)
)
def return_read(request: HttpRequest, return_id: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    return json_response(
        200, selectors.return_out(selectors.return_get(shop_id=shop.pk, return_id=return_id))
    )


@router.post(
    "",
    response={201: ReturnOut},
    summary="Open a return or exchange request for a member",
    auth=ApiKeyAuth(SCOPE),
)
def return_create(request: HttpRequest, payload: ReturnIn) -> HttpResponse:
    """201 with the request; refused (422 naming the field) when the order is
    not delivered, past the shop's return window, or a line is unknown, of a
    non-returnable category or asked for more units than are left."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        member = member_selectors.member_get(shop=shop, external_id=payload.member)
        created = services.return_request(
            member=member,
            order_id=payload.order_id,
            lines=[services.ReturnLineInput(ln.line_id, ln.quantity) for ln in payload.lines],
            kind=payload.kind,
            reason=payload.reason,
            description=payload.description,
        )
        return 201, selectors.return_out(
            selectors.return_get(shop_id=shop.pk, return_id=created.pk)
        )

    return with_idempotency(request, shop, handler)


def _transition(found: Any, payload: TransitionIn) -> Any:
    common: dict[str, Any] = {"request": found, "agent": None, "actor": None}
    match payload.action:
        case "approve":
            return services.return_approve(**common, note=payload.note)
        case "refuse":
            return services.return_refuse(**common, reason=payload.reason)
        case "goods_sent":
            return services.return_goods_sent(
                **common, carrier=payload.carrier, tracking_number=payload.tracking_number
            )
        case "receive":
            return services.return_receive(**common, note=payload.note)
        case "refund":
            return services.return_refund_request(**common)
        case "ship_replacement":
            return services.return_replacement_ship(
                **common, carrier=payload.carrier, tracking_number=payload.tracking_number
            )
        case _:
            return services.return_close(**common, note=payload.note)


@router.post(
    "/{return_id}/transitions",
    response=ReturnOut,
    summary="Move a return request on",
    auth=ApiKeyAuth(SCOPE),
)
def return_transition(request: HttpRequest, return_id: int, payload: TransitionIn) -> HttpResponse:
    """200 with the request in its new state; 409 ``invalid_transition``
    (field ``state``) for a step out of turn."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        found = selectors.return_get(shop_id=shop.pk, return_id=return_id)
        moved = _transition(found, payload)
        return 200, selectors.return_out(selectors.return_get(shop_id=shop.pk, return_id=moved.pk))

    return with_idempotency(request, shop, handler)
