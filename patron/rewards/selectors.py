"""Reads on the rewards catalogue and redemptions."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from patron.core import clock
from patron.core.models import Shop
from patron.core.pages import newest_first_page
from patron.members.models import Member
from patron.rewards.models import Redemption, Reward


def _in_window(shop: Shop) -> QuerySet[Reward]:
    """The shop's active rewards whose window is open now."""
    now = clock.now()
    return (
        Reward.objects.filter(shop=shop, active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    )


def rewards_available(*, shop: Shop, tier_code: str | None = None) -> list[Reward]:
    """Active rewards in their window; with ``tier_code``, those that tier may redeem."""
    out = list(_in_window(shop).order_by("points_price", "pk")[:500])
    if tier_code is not None:
        out = [r for r in out if not r.tier_codes or tier_code in r.tier_codes]
    return out


def reward_get(*, shop: Shop, reward_id: int) -> Reward | None:
    return Reward.objects.filter(shop=shop, pk=reward_id).first()


def reward_out(reward: Reward) -> dict[str, Any]:
    return {
        "id": reward.pk,
        "name": reward.name,
        "description": reward.description,
        "kind": reward.kind,
        "points_price": reward.points_price,
        "tiers": list(reward.tier_codes or []),
        "starts_at": reward.starts_at.isoformat() if reward.starts_at else None,
        "ends_at": reward.ends_at.isoformat() if reward.ends_at else None,
        "per_member_limit": reward.per_member_limit,
        "stock": reward.stock,
        "in_stock": reward.stock is None or reward.stock > 0,
    }


def redemption_out(redemption: Redemption) -> dict[str, Any]:
    return {
        "id": redemption.pk,
        "request_id": redemption.request_id,
        "reward": redemption.reward_id,
        "reward_name": redemption.reward.name,
        "points": redemption.points,
        "status": redemption.status,
        "coupon": redemption.coupon.code if redemption.coupon_id and redemption.coupon else None,
        "placed_at": redemption.placed_at.isoformat(),
        "fulfilled_at": redemption.fulfilled_at.isoformat() if redemption.fulfilled_at else None,
        "cancelled_at": redemption.cancelled_at.isoformat() if redemption.cancelled_at else None,
    }


def member_redemptions_page(
    *, member: Member, status: str | None = None, limit: int = 20, before: int | None = None
) -> dict[str, Any]:
    """A member's redemptions, newest first; ``before`` is the id of the last
    one of the previous page."""
    query = Redemption.objects.filter(member=member).select_related("reward", "coupon")
    if status:
        query = query.filter(status=status)
    rows, next_before = newest_first_page(query, limit=limit, before=before)
    return {"items": [redemption_out(r) for r in rows], "next_before": next_before}


# --- The member's own view (portal, console) ----------------------------------------


def rewards_on_offer(*, shop: Shop) -> list[Reward]:
    """Every active reward in its window, with its coupon template (the portal's
    catalogue)."""
    return list(_in_window(shop).select_related("coupon_template").order_by("points_price", "id"))


def member_redemptions(member: Member) -> list[Redemption]:
    return list(
        Redemption.objects.filter(member=member).select_related("reward").order_by("-placed_at")
    )


def member_redemptions_export(member: Member) -> list[Any]:
    """The member's redemptions, for their data download."""
    return list(
        Redemption.objects.filter(member=member)
        .order_by("placed_at", "id")
        .values("reward__name", "points", "status", "placed_at", "fulfilled_at")
    )
