"""Shop API: a member's coupons and claims, flash sales, checkout evaluate and reserve."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, model_validator

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import ApiScope
from patron.core.validation import Text
from patron.members import selectors as member_selectors
from patron.promotions import engine, selectors, services, tiering
from patron.promotions.checkout import CartIn, checkout_evaluate
from patron.promotions.services import holds

members_router = Router(tags=["coupons"])
checkout_router = Router(tags=["checkout"])
flash_sales_router = Router(tags=["coupons"])

Id = Annotated[Text, Field(min_length=1, max_length=64)]
Fen = Annotated[int, Field(ge=0, le=10**11, strict=True)]


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class CartLineIn(Strict):
    line_id: Id
    sku: Id
    category: Annotated[Text, Field(max_length=100)] = ""
    quantity: Annotated[int, Field(gt=0, le=100_000, strict=True)]
    unit_price: Fen


class CartPayload(Strict):
    member: Id = Field(description="the member's external_id")
    lines: Annotated[list[CartLineIn], Field(min_length=1, max_length=500)]
    shipping_fee: Fen = 0
    coupon_codes: (
        Annotated[list[Annotated[Text, Field(max_length=30)]], Field(max_length=20)] | None
    ) = Field(None, description="the coupons the member chose; absent: the best combination")
    points: Annotated[int, Field(ge=0, le=10**12, strict=True)] = Field(
        0, description="points the member wants to pay with"
    )

    @model_validator(mode="after")
    def _unique_lines(self) -> CartPayload:
        ids = [ln.line_id for ln in self.lines]
        if len(set(ids)) != len(ids):
            raise ValueError("line_id values must be unique")
        return self

    def cart(self) -> CartIn:
        return CartIn(
            lines=[
                engine.CartLine(
                    line_id=ln.line_id,
                    sku=ln.sku,
                    category=ln.category,
                    quantity=ln.quantity,
                    unit_price=ln.unit_price,
                )
                for ln in self.lines
            ],
            shipping_fee=self.shipping_fee,
            coupon_codes=self.coupon_codes,
            points=self.points,
        )


class ReservePayload(CartPayload):
    order_id: Id


class ReleaseIn(Strict):
    order_id: Id


class PageQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


class TemplateOut(Schema):
    code: str
    name: str
    description: str
    type: str = Field(description="fixed, percent, threshold or free_shipping")
    amount: int = Field(description="fen off (fixed, threshold)")
    percent: int | None
    max_discount: int | None
    threshold: int = Field(description="fen of goods the cart must reach")
    repeating: bool
    skus: list[str]
    categories: list[str]
    stacking_group: str
    exclusive: bool
    validity_kind: str = Field(description="fixed_dates or days_after_issue")
    valid_from: str | None
    valid_until: str | None
    valid_days: int
    per_member_limit: int = Field(description="0: no limit")
    tiers: list[str] = Field(description="tier codes that may have it; empty: every tier")


class ClaimableTemplateOut(TemplateOut):
    held: int = Field(description="coupons of it the member holds (revoked ones not counted)")
    limit_reached: bool
    sold_out: bool


class ClaimableTemplatesOut(Schema):
    items: list[ClaimableTemplateOut]
    next_before: int | None


class FlashSaleOut(Schema):
    sale_id: int
    name: str
    state: Literal["live", "coming"]
    starts_at: str
    ends_at: str
    quantity: int
    claimed: int
    remaining: int
    per_member_limit: int = Field(description="0: no limit")
    tiers: list[str] = Field(description="tier codes that may claim; empty: every tier")
    coupon: TemplateOut


class FlashSalesOut(Schema):
    items: list[FlashSaleOut]
    next_before: int | None


class FlashSalesQuery(PageQuery):
    state: Literal["live", "coming"] | None = Field(None, description="absent: both")


class CouponOut(Schema):
    code: str
    display_code: str
    template: str
    name: str
    description: str
    type: str
    amount: int
    percent: int | None
    max_discount: int | None
    threshold: int
    repeating: bool
    skus: list[str]
    categories: list[str]
    stacking_group: str
    exclusive: bool
    status: Literal["available", "held", "used", "expired", "revoked"]
    source: str
    issued_at: str
    valid_from: str
    valid_until: str
    used_at: str | None
    used_order_id: str | None


class CouponsOut(Schema):
    coupons: list[CouponOut]


class ReasonOut(Schema):
    code: str
    message: dict[str, str] = Field(description='{"zh-Hans": ..., "en": ...}')


class TierRefOut(Schema):
    code: str
    name: str


class EvaluatedCouponOut(Schema):
    code: str
    name: str
    type: str
    valid_until: str | None
    applicable: bool
    discount: int = Field(description="what it would take off on its own")
    reason: ReasonOut | None = Field(description="why it does not apply")
    not_combined_reason: ReasonOut | None
    in_best: bool
    selected: bool


class CouponSetOut(Schema):
    codes: list[str]
    discount: int


class PointsRateOut(Schema):
    points: int
    fen: int


class EvaluatedPointsOut(Schema):
    balance: int
    rate: PointsRateOut
    max_usable: int
    max_value: int
    requested: int
    used: int
    value: int
    reason: ReasonOut | None


class ShippingOut(Schema):
    fee: int
    discount: int
    member_free_shipping: bool
    to_pay: int


class EvaluatedLineOut(Schema):
    line_id: str
    sku: str
    quantity: int
    unit_price: int
    amount: int
    member_discount: int
    coupon_discount: int
    coupons: dict[str, int] = Field(description="discount per coupon code on this line")
    points: int
    points_value: int
    to_pay: int


class DiscountsOut(Schema):
    member_price: int
    coupons: int
    shipping: int
    points_value: int


class EvaluationOut(Schema):
    member: str
    currency: str
    tier: TierRefOut | None
    member_discount_bp: int
    items_amount: int
    member_price_amount: int
    coupons: list[EvaluatedCouponOut]
    best_combination: CouponSetOut
    selected_coupons: CouponSetOut
    points: EvaluatedPointsOut
    shipping: ShippingOut
    lines: list[EvaluatedLineOut]
    discounts: DiscountsOut
    total: int


class ReserveOut(Schema):
    order_id: str
    status: str
    expires_at: str
    coupons: list[str]
    points: int
    points_value: int
    total: int
    evaluation: EvaluationOut


class ReleaseOut(Schema):
    order_id: str
    status: str


class ClaimIn(Strict):
    template: Annotated[Text, Field(max_length=64)] = Field(
        "", description="a claimable template's code"
    )
    code: Annotated[Text, Field(max_length=30)] = Field("", description="a public coupon code")


@members_router.get(
    "/{external_id}/coupons",
    response=CouponsOut,
    summary="A member's coupons (优惠券)",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def coupons_list(
    request: HttpRequest,
    external_id: Text,
    status: Literal["available", "held", "used", "expired", "revoked"] | None = None,
) -> HttpResponse:
    shop = shop_for(request, ApiScope.CHECKOUT)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    coupons = selectors.member_coupons(member=member, status=status)
    return json_response(200, {"coupons": [selectors.coupon_out(c) for c in coupons]})


@members_router.get(
    "/{external_id}/coupon-templates",
    response=ClaimableTemplatesOut,
    summary="The coupon templates the member may claim, newest first",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def claimable_templates_list(
    request: HttpRequest, external_id: Text, query: Query[PageQuery]
) -> HttpResponse:
    """Claimable, active templates whose offer has not ended and that the
    member's tier may have; each says whether the member's limit is reached
    or all are gone. Claim one with ``POST .../coupons/claim``."""
    shop = shop_for(request, ApiScope.CHECKOUT)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    page = selectors.member_claimable_templates_page(
        member=member,
        tier_code=tiering.member_tier(member).code,
        limit=query.limit,
        before=query.before,
    )
    return json_response(200, page)


@members_router.post(
    "/{external_id}/coupons/claim",
    response={201: CouponOut},
    summary="Claim a coupon by template or public code",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def coupon_claim(request: HttpRequest, external_id: Text, payload: ClaimIn) -> HttpResponse:
    shop = shop_for(request, ApiScope.CHECKOUT)

    def handler() -> tuple[int, Any]:
        member = member_selectors.member_of_path(shop=shop, external_id=external_id)
        coupon = services.coupon_claim(
            shop=shop, member=member, template_code=payload.template, public_code=payload.code
        )
        return 201, selectors.coupon_out(coupon)

    return with_idempotency(request, shop, handler)


@members_router.post(
    "/{external_id}/flash-sales/{sale_id}/claim",
    response={201: CouponOut},
    summary="Claim a coupon from a flash sale",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def flash_sale_claim(request: HttpRequest, external_id: Text, sale_id: int) -> HttpResponse:
    shop = shop_for(request, ApiScope.CHECKOUT)

    def handler() -> tuple[int, Any]:
        member = member_selectors.member_of_path(shop=shop, external_id=external_id)
        sale = selectors.flash_sale_get(shop_id=shop.pk, sale_id=sale_id)
        if sale is None:
            raise PatronError(ErrorCode.NOT_FOUND, _("no such flash sale"), field="sale_id")
        coupon = services.flash_sale_claim(sale=sale, member=member)
        return 201, selectors.coupon_out(coupon)

    return with_idempotency(request, shop, handler)


@checkout_router.post(
    "/evaluate",
    response=EvaluationOut,
    summary="Price a cart: member price, coupons, points",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def evaluate(request: HttpRequest, payload: CartPayload) -> HttpResponse:
    """Writes nothing. Lists every coupon the member holds with whether it applies
    and why not (zh-Hans and en), the best combination, the points usable, and
    the amounts per line."""
    shop = shop_for(request, ApiScope.CHECKOUT)
    member = member_selectors.member_get(shop=shop, external_id=payload.member)
    evaluation = checkout_evaluate(shop=shop, member=member, cart=payload.cart())
    return json_response(200, evaluation.answer())


@checkout_router.post(
    "/reserve",
    response={201: ReserveOut},
    summary="Hold coupons and points for an order",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def reserve(request: HttpRequest, payload: ReservePayload) -> HttpResponse:
    """Idempotent per order_id: the same request for the same order answers 201
    and the live hold again, with ``Idempotent-Replayed: true``. The hold is
    captured by order.paid, released by order.cancelled or after the time-out."""
    shop = shop_for(request, ApiScope.CHECKOUT)

    def handler() -> Answer:
        member = member_selectors.member_get(shop=shop, external_id=payload.member)
        hold, created = holds.checkout_reserve(
            shop=shop, member=member, order_id=payload.order_id, cart=payload.cart()
        )
        body = {
            "order_id": hold.order_id,
            "status": hold.status,
            "expires_at": hold.expires_at.isoformat(),
            "coupons": sorted(hold.coupons.values_list("code", flat=True)),
            "points": hold.points,
            "points_value": hold.points_value,
            "total": hold.total,
            "evaluation": hold.answer,
        }
        return 201, body, not created

    return with_idempotency(request, shop, handler)


@checkout_router.post(
    "/release",
    response=ReleaseOut,
    summary="Release the hold of an unpaid order",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def release(request: HttpRequest, payload: ReleaseIn) -> HttpResponse:
    """For a checkout abandoned before payment (Patron only mirrors paid orders, so
    there is no order.cancelled to send). Paid orders settle through their events."""
    shop = shop_for(request, ApiScope.CHECKOUT)

    def handler() -> tuple[int, Any]:
        hold = holds.hold_release_unpaid(shop=shop, order_id=payload.order_id)
        return 200, {"order_id": hold.order_id, "status": hold.status}

    return with_idempotency(request, shop, handler)


@flash_sales_router.get(
    "",
    response=FlashSalesOut,
    summary="Flash sales (限时抢购) live now and coming, newest first, with their sale_id",
    auth=ApiKeyAuth(ApiScope.CHECKOUT),
)
def flash_sales_list(request: HttpRequest, query: Query[FlashSalesQuery]) -> HttpResponse:
    """Claim one for a member with ``POST /members/{external_id}/flash-sales/{sale_id}/claim``."""
    shop = shop_for(request, ApiScope.CHECKOUT)
    page = selectors.flash_sales_page(
        shop_id=shop.pk, state=query.state, limit=query.limit, before=query.before
    )
    return json_response(200, page)
