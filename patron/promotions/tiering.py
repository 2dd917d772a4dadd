"""What promotions need from tiers: the member's tier, its member price and
free-shipping benefit, read through ``patron.tiers.selectors``.

Without the tiers app every member is untiered and pays the list price.
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
    free_shipping_threshold: int | None = None  # fen of goods; None: no free shipping
    name_en: str = ""
    # The tier's "member flash sales" benefit; without tiers nobody is kept out.
    flash_sale_access: bool = True
    priority_shipping: bool = False


NO_TIER = TierView(code="", name="", discount_bp=0)


def member_tier(member: Member) -> TierView:
    if not apps.is_installed("patron.tiers"):
        return NO_TIER
    from patron.tiers import selectors

    benefits = selectors.member_benefits(member)
    if benefits is None:
        return NO_TIER
    return TierView(
        code=benefits.tier_code,
        name=benefits.tier_name,
        discount_bp=benefits.discount_bp,
        free_shipping_threshold=benefits.free_shipping_threshold,
        name_en=benefits.tier_name_en,
        flash_sale_access=benefits.flash_sale_access,
        priority_shipping=benefits.priority_shipping,
    )


def tier_names(shop_id: int, codes: list[str]) -> tuple[list[str], list[str]]:
    """Display names (简体中文, English) for tier codes; the codes themselves if unknown."""
    if not codes or not apps.is_installed("patron.tiers"):
        return list(codes), list(codes)
    from patron.tiers.models import Tier

    rows = {
        code: (name, name_en)
        for code, name, name_en in Tier.objects.filter(shop_id=shop_id, code__in=codes).values_list(
            "code", "name", "name_en"
        )
    }
    zh = [rows.get(code, (code, code))[0] or code for code in codes]
    en = [rows.get(code, (code, code))[1] or code for code in codes]
    return zh, en
