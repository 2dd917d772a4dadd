from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from patron.core.api import ApiKeyAuth, json_response, shop_for
from patron.core.models import ApiScope
from patron.core.validation import Text
from patron.members import selectors as member_selectors
from patron.tiers import selectors

router = Router(tags=["tiers"])


class BenefitsOut(Schema):
    earn_multiplier_percent: int
    discount_bp: int
    free_shipping_threshold: int | None
    priority_shipping: bool
    birthday_gift_points: int
    birthday_coupon_template: str
    free_trial: bool
    member_only_events: bool
    flash_sale_access: bool
    dedicated_service: bool
    monthly_coupon_template: str
    monthly_coupon_count: int


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
    program = selectors.program_of(shop)
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
