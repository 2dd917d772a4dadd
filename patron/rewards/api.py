"""Shop API: the rewards catalogue and a member's redemptions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import ApiScope
from patron.core.validation import MultilineText, Text
from patron.members import selectors as member_selectors
from patron.rewards import selectors, services
from patron.rewards.models import Redemption

rewards_router = Router(tags=["rewards"])
members_router = Router(tags=["rewards"])


class RedeemIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reward_id: int
    request_id: Annotated[Text, Field(min_length=1, max_length=64)] = Field(
        description="the shop's id for this redemption; a retry with it returns the first"
    )
    shipping_address: Annotated[MultilineText, Field(max_length=services.MAX_SHIPPING_ADDRESS)] = ""


class RewardOut(Schema):
    id: int
    name: str
    description: str
    kind: str
    points_price: int
    tiers: list[str] = Field(description="tier codes that may redeem it; empty: every tier")
    starts_at: str | None
    ends_at: str | None
    per_member_limit: int = Field(description="0: no limit")
    stock: int | None = Field(description="null: unlimited")
    in_stock: bool


class RewardsOut(Schema):
    rewards: list[RewardOut]


class RedemptionOut(Schema):
    id: int
    request_id: str
    reward: int
    reward_name: str
    points: int
    status: Literal["placed", "fulfilled", "cancelled"]
    coupon: str | None = Field(description="the coupon issued, for a coupon reward")
    placed_at: str
    fulfilled_at: str | None
    cancelled_at: str | None


class RedemptionsOut(Schema):
    items: list[RedemptionOut]
    next_before: int | None


class RedemptionsQuery(Schema):
    status: Literal["placed", "fulfilled", "cancelled"] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[MultilineText, Field(max_length=200)] = ""


@rewards_router.get(
    "",
    response=RewardsOut,
    summary="The rewards catalogue (积分商城)",
    auth=ApiKeyAuth(ApiScope.REWARDS),
)
def rewards_list(request: HttpRequest, member: Text | None = None) -> HttpResponse:
    """Active rewards; with ``member`` (external_id), only those their tier may redeem."""
    shop = shop_for(request, ApiScope.REWARDS)
    tier_code = None
    if member:
        from patron.promotions import tiering

        tier_code = tiering.member_tier(
            member_selectors.member_get(shop=shop, external_id=member)
        ).code
    rewards = selectors.rewards_available(shop=shop, tier_code=tier_code)
    return json_response(200, {"rewards": [selectors.reward_out(r) for r in rewards]})


@members_router.get(
    "/{external_id}/redemptions",
    response=RedemptionsOut,
    summary="A member's redemptions (积分兑换), newest first",
    auth=ApiKeyAuth(ApiScope.REWARDS),
)
def redemptions_list(
    request: HttpRequest, external_id: Text, query: Query[RedemptionsQuery]
) -> HttpResponse:
    shop = shop_for(request, ApiScope.REWARDS)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    page = selectors.member_redemptions_page(
        member=member, status=query.status, limit=query.limit, before=query.before
    )
    return json_response(200, page)


@members_router.post(
    "/{external_id}/redemptions",
    response={201: RedemptionOut},
    summary="Redeem points for a reward",
    auth=ApiKeyAuth(ApiScope.REWARDS),
)
def redemption_create(request: HttpRequest, external_id: Text, payload: RedeemIn) -> HttpResponse:
    """201 with the redemption. The same ``request_id`` again answers 201 and the
    redemption it placed, with ``Idempotent-Replayed: true``."""
    shop = shop_for(request, ApiScope.REWARDS)

    def handler() -> Answer:
        member = member_selectors.member_of_path(shop=shop, external_id=external_id)
        reward = selectors.reward_get(shop=shop, reward_id=payload.reward_id)
        if reward is None:
            raise PatronError(ErrorCode.NOT_FOUND, _("no such reward"), field="reward_id")
        redemption, created = services.redemption_place(
            shop=shop,
            member=member,
            reward=reward,
            request_id=payload.request_id,
            shipping_address=payload.shipping_address,
        )
        return 201, selectors.redemption_out(redemption), not created

    return with_idempotency(request, shop, handler)


@members_router.post(
    "/{external_id}/redemptions/{redemption_id}/cancel",
    response=RedemptionOut,
    summary="Cancel a redemption",
    auth=ApiKeyAuth(ApiScope.REWARDS),
)
def redemption_cancel(
    request: HttpRequest, external_id: Text, redemption_id: int, payload: CancelIn
) -> HttpResponse:
    shop = shop_for(request, ApiScope.REWARDS)

    def handler() -> tuple[int, Any]:
        member = member_selectors.member_of_path(shop=shop, external_id=external_id)
        redemption = Redemption.objects.filter(shop=shop, member=member, pk=redemption_id).first()
        if redemption is None:
            raise PatronError(ErrorCode.NOT_FOUND, _("no such redemption"), field="redemption_id")
        done = services.redemption_cancel(redemption=redemption, actor=None, reason=payload.reason)
        return 200, selectors.redemption_out(done)

    return with_idempotency(request, shop, handler)
