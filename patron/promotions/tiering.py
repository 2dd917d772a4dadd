"""What promotions need from tiers: the member's tier and member-price discount.

Read through ``patron.tiers.selectors`` when the tiers app is installed;
without it every member is untiered and pays the list price.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from patron.members.models import Member


@dataclass(frozen=True)
class TierView:
    code: str
    name: str
    discount_bp: int  # member price: basis points off the list price (500 = 5% off)


NO_TIER = TierView(code="", name="", discount_bp=0)


def member_tier(member: Member) -> TierView:
    if not apps.is_installed("patron.tiers"):
        return NO_TIER
    try:
        from patron.tiers import selectors
    except ImportError:
        return NO_TIER
    benefits = selectors.member_benefits(member=member)
    if benefits is None:
        return NO_TIER
    return TierView(
        code=str(getattr(benefits, "tier_code", "") or ""),
        name=str(getattr(benefits, "tier_name", "") or ""),
        discount_bp=int(getattr(benefits, "discount_bp", 0) or 0),
    )


def tier_names(shop_id: int, codes: list[str]) -> list[str]:
    """Display names for tier codes (the codes themselves when tiers are absent)."""
    if not codes or not apps.is_installed("patron.tiers"):
        return list(codes)
    try:
        from patron.tiers.models import Tier
    except ImportError:
        return list(codes)
    names = dict(Tier.objects.filter(shop_id=shop_id, code__in=codes).values_list("code", "name"))
    return [str(names.get(code, code)) for code in codes]
