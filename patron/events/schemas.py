"""The event envelope and the data each event type carries (pydantic)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator

from patron.core.validation import (
    AwareDateTime,
    ExternalId,
    IsoDate,
    MultilineText,
    Text,
    check_external_id,
)

Id = Annotated[Text, Field(min_length=1, max_length=64)]
MAX_FEN = 10**12  # ¥10 billion: more than any order, far below the 64-bit limit
Fen = Annotated[int, Field(ge=0, le=MAX_FEN, strict=True)]
Points = Annotated[int, Field(ge=0, le=10**12, strict=True)]
Quantity = Annotated[int, Field(gt=0, le=100_000, strict=True)]

CUSTOM_TYPE = re.compile(r"^custom\.[a-z0-9_]{1,60}$")
KNOWN_TYPES = (
    "member.registered",
    "order.paid",
    "order.shipped",
    "order.completed",
    "order.cancelled",
    "order.refunded",
    "review.posted",
    "link.shared",
    "shipment.updated",
    "order.change_answered",
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EventIn(Strict):
    id: Annotated[Text, Field(min_length=1, max_length=100), AfterValidator(check_external_id)]
    type: Annotated[Text, Field(min_length=1, max_length=100)]
    member: ExternalId
    occurred_at: AwareDateTime
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in KNOWN_TYPES and not CUSTOM_TYPE.match(value):
            raise ValueError(
                f"unknown event type {value!r}; expected one of {', '.join(KNOWN_TYPES)} "
                "or custom.<name>"
            )
        return value


class Consents(Strict):
    email: StrictBool | None = None
    sms: StrictBool | None = None
    in_app: StrictBool | None = None


class MemberRegisteredData(Strict):
    name: Annotated[Text, Field(max_length=100)] | None = None
    phone: Annotated[Text, Field(max_length=30)] | None = None
    email: Annotated[Text, Field(max_length=254)] | None = None
    birthday: IsoDate | None = None
    gender: Literal["female", "male", "other", ""] | None = None
    channel: Literal["web", "app", "mini_program", "store", "other"] | None = None
    language: Literal["zh-hans", "en"] | None = None
    consents: Consents | None = None


class OrderLineData(Strict):
    line_id: Id = Field(description="unique within the order; refunds name it")
    sku: Id
    name: Annotated[Text, Field(max_length=200)] = ""
    category: Annotated[Text, Field(max_length=100)] = ""
    quantity: Quantity
    unit_price: Fen = Field(description="list price of one unit, in fen")


class OrderPaidData(Strict):
    """An order the member paid. Money is in minor units (fen for CNY)."""

    order_id: ExternalId = Field(description="the shop's order id; later order events name it")
    lines: Annotated[list[OrderLineData], Field(min_length=1, max_length=500)]
    paid_amount: Fen = Field(
        description="what the member paid, shipping included: the lines' total plus "
        "shipping_fee, less discounts, coupons and points paid as cash; at most the lines' "
        "total plus shipping_fee. Points are earned on it less shipping_fee, shared over the "
        "lines pro rata"
    )
    shipping_fee: Fen = Field(0, description="shipping charged, included in paid_amount")
    discount_amount: Fen = Field(0, description="discounts and coupons taken off the order")
    points_used: Points = Field(0, description="points the member paid with")
    points_amount: Fen = Field(0, description="what points_used paid, in fen")
    coupon_codes: Annotated[list[Id], Field(max_length=20)] = Field(
        default_factory=list, description="coupons used; their checkout hold is captured"
    )
    currency: Annotated[Text, Field(pattern=r"^[A-Z]{3}$")] = Field(
        "CNY", description="ISO 4217; must be the shop's currency"
    )
    placed_at: AwareDateTime | None = Field(
        None, description="when the order was placed; default: the event's occurred_at"
    )

    @field_validator("lines")
    @classmethod
    def _line_totals_fit(cls, lines: list[OrderLineData]) -> list[OrderLineData]:
        # Each line's total and their sum are stored and multiplied into
        # points as 64-bit integers; 500 lines of 100,000 × ¥10 billion
        # would not fit.
        total = 0
        for index, line in enumerate(lines):
            amount = line.quantity * line.unit_price
            if amount > MAX_FEN:
                raise ValueError(
                    f"line {index}: quantity × unit_price is {amount} fen; "
                    f"a line may come to at most {MAX_FEN}"
                )
            total += amount
        if total > MAX_FEN:
            raise ValueError(
                f"the lines come to {total} fen; an order may come to at most {MAX_FEN}"
            )
        return lines


class OrderRef(Strict):
    order_id: ExternalId
    note: Annotated[MultilineText, Field(max_length=200)] = ""


class CheckpointData(Strict):
    """One scan of a parcel: when, where, what (the carrier's words)."""

    at: AwareDateTime
    location: Annotated[Text, Field(max_length=100)] = ""
    description: Annotated[Text, Field(min_length=1, max_length=200)]


Checkpoints = Annotated[list[CheckpointData], Field(max_length=200)]


class OrderShippedData(OrderRef):
    carrier: Annotated[Text, Field(max_length=50)] = ""
    tracking_number: Annotated[Text, Field(max_length=64)] = ""
    checkpoints: Checkpoints = Field(
        default_factory=list, description="the parcel's scans so far, if any"
    )


class ShipmentUpdatedData(Strict):
    """New scans of a parcel already shipped (or a second parcel of the order)."""

    order_id: ExternalId
    carrier: Annotated[Text, Field(max_length=50)] = ""
    tracking_number: Annotated[Text, Field(min_length=1, max_length=64)]
    checkpoints: Annotated[list[CheckpointData], Field(min_length=1, max_length=200)]


class OrderChangeAnsweredData(Strict):
    """The shop's answer to a change Patron asked for (``order.change_requested``)."""

    order_id: ExternalId
    change_id: Annotated[int, Field(ge=1, strict=True)] = Field(
        description="the change_id of the order.change_requested webhook"
    )
    accepted: StrictBool
    reason: Annotated[MultilineText, Field(max_length=200)] = ""


class RefundLineData(Strict):
    line_id: Id
    quantity: Quantity


class OrderRefundedData(Strict):
    order_id: ExternalId
    refund_id: Id
    lines: Annotated[list[RefundLineData], Field(min_length=1, max_length=500)] | None = Field(
        None, description="the lines and quantities refunded; absent: all that remains"
    )
    reason: Annotated[MultilineText, Field(max_length=200)] = ""


class ReviewPostedData(Strict):
    review_id: Id
    order_id: Id | None = None
    sku: Id | None = None
    rating: Annotated[int, Field(ge=1, le=5, strict=True)] | None = None
    has_photos: StrictBool = False
    text_length: Annotated[int, Field(ge=0, strict=True)] = 0


class LinkSharedData(Strict):
    url: Annotated[Text, Field(max_length=2000)] = ""
    target: Annotated[Text, Field(max_length=50)] = ""  # wechat, weibo, ...


DATA_SCHEMAS: dict[str, type[BaseModel]] = {
    "member.registered": MemberRegisteredData,
    "order.paid": OrderPaidData,
    "order.shipped": OrderShippedData,
    "order.completed": OrderRef,
    "order.cancelled": OrderRef,
    "order.refunded": OrderRefundedData,
    "review.posted": ReviewPostedData,
    "link.shared": LinkSharedData,
    "shipment.updated": ShipmentUpdatedData,
    "order.change_answered": OrderChangeAnsweredData,
}


class CustomData(BaseModel):
    """custom.<name> events carry any JSON object; rules read it."""

    model_config = ConfigDict(extra="allow")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: Annotated[list[Any], Field(min_length=1, max_length=1000)]
