from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from patron.core.api import ApiKeyAuth, json_response, shop_for
from patron.core.models import ApiScope
from patron.core.validation import Text
from patron.members import selectors as member_selectors
from patron.tiers import selectors

router = Router(tags=["tiers"])


class BenefitsOut(Schema):
    """What a tier grants, and who gives it: Patron applies the first group
    itself; the flags at the end are for the shop to act on (Patron does not
    deliver them yet, so the member portal does not list them)."""

    earn_multiplier_percent: int = Field(description="Points earned × this / 100 (Patron).")
    discount_bp: int = Field(description="Member price in basis points off, at checkout (Patron).")
    free_shipping_threshold: int | None = Field(
        description="Free shipping from this many fen of goods, at checkout (Patron); "
        "null: none, 0: always."
    )
    priority_shipping: bool = Field(
        description="The shop ships first; checkout answers `shipping.priority_shipping`."
    )
    birthday_gift_points: int = Field(description="Credited once a year by the birthday job.")
    birthday_coupon_template: str = Field(description="Issued once a year by the birthday job.")
    free_trial: bool = Field(description="For the shop to act on.")
    member_only_events: bool = Field(description="For the shop to act on.")
    flash_sale_access: bool = Field(
        description="May claim flash sales; a claim without it is refused with "
        "403 `tier_not_eligible` (Patron)."
    )
    dedicated_service: bool = Field(description="For the shop to act on.")
    monthly_coupon_template: str = Field(
        description="Coupon template of the monthly pack, issued by the monthly job (Patron)."
    )
    monthly_coupon_count: int = Field(description="Coupons in the monthly pack.")


class TierOut(Schema):
    code: str
    name: str
    name_en: str
    rank: int
    entry_threshold: int
    retention_threshold: int
    benefits: BenefitsOut


class TierListOut(Schema):
    measure: str
    window_months: int
    period: str
    tiers: list[TierOut]


class MemberTierOut(Schema):
    tier: dict[str, Any] | None
    measure: str
    value: int
    window_starts: str | None = None
    next_tier: dict[str, Any] | None = None
    retention: dict[str, Any] | None = None
    since: str | None = None
    protected_until: str | None = None
    kept_until: str | None = None
    override: bool = False
    benefits: dict[str, Any] | None = None
    recent_changes: list[dict[str, Any]] = []


@router.get(
    "/tiers",
    response=TierListOut,
    summary="Tier definitions and their benefits",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
)
def tier_list(request: HttpRequest) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    program = selectors.tier_program_get(shop)
    return json_response(
        200,
        {
            "measure": program.qualifying_measure,
            "window_months": program.window_months,
            "period": program.period,
            "tiers": selectors.tier_list(shop),
        },
    )


@router.get(
    "/members/{external_id}/tier",
    response=MemberTierOut,
    summary="A member's tier, growth value, what the next tier needs and until when the tier "
    "is kept",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
)
def member_tier(request: HttpRequest, external_id: Text) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    return json_response(200, selectors.member_tier_status(member))
