"""Reads on coupons: a member's wallet, with the status a member would see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q

from patron.core import clock
from patron.members.models import Member
from patron.promotions import codes
from patron.promotions.models import Coupon, CouponStatus, CouponTemplate, FlashSale


def coupon_display_status(coupon: Coupon) -> str:
    """available / held / used / revoked, and expired for an unused one past its end."""
    if coupon.status == CouponStatus.AVAILABLE and coupon.valid_until <= clock.now():
        return "expired"
    return coupon.status


def coupon_out(coupon: Coupon) -> dict[str, Any]:
    t = coupon.template
    return {
        "code": coupon.code,
        "display_code": codes.display(coupon.code),
        "template": t.code,
        "name": t.name,
        "description": t.description,
        "type": t.type,
        "amount": t.amount,
        "percent": t.percent,
        "max_discount": t.max_discount,
        "threshold": t.threshold,
        "repeating": t.repeating,
        "skus": list(t.skus or []),
        "categories": list(t.categories or []),
        "stacking_group": t.stacking_group,
        "exclusive": t.exclusive,
        "status": coupon_display_status(coupon),
        "source": coupon.source,
        "issued_at": coupon.issued_at.isoformat(),
        "valid_from": coupon.valid_from.isoformat(),
        "valid_until": coupon.valid_until.isoformat(),
        "used_at": coupon.used_at.isoformat() if coupon.used_at else None,
        "used_order_id": coupon.used_order_id or None,
    }


def member_coupons(*, member: Member, status: str | None = None) -> list[Coupon]:
    query = Coupon.objects.filter(member=member).select_related("template")
    now = clock.now()
    if status == "expired":
        query = query.filter(status=CouponStatus.AVAILABLE, valid_until__lte=now)
    elif status == CouponStatus.AVAILABLE:
        query = query.filter(status=CouponStatus.AVAILABLE, valid_until__gt=now)
    elif status:
        query = query.filter(status=status)
    return list(query.order_by("valid_until", "pk")[:500])


def coupon_from_source(*, member: Member, source: str, source_ref: str) -> Coupon | None:
    """The coupon issued to the member from this source (a gift, a pack), if any."""
    return Coupon.objects.filter(member=member, source=source, source_ref=source_ref).first()


def flash_sale_get(*, shop_id: int, sale_id: int) -> FlashSale | None:
    return FlashSale.objects.select_related("template").filter(shop_id=shop_id, pk=sale_id).first()


def held_toward_limit() -> Q:
    """Which of a member's coupons of a template count against its
    per-member limit: all but revoked ones."""
    return ~Q(status=CouponStatus.REVOKED)


def limit_reached(template: CouponTemplate, held: int) -> bool:
    return bool(template.per_member_limit and held >= template.per_member_limit)


def claimable_templates(member: Member, *, limit: int = 20) -> Sequence[CouponTemplate]:
    """The shop's claimable templates, newest first, each with
    ``limit_reached`` for this member by the rule ``coupon_issue`` applies."""
    rows = list(
        CouponTemplate.objects.filter(shop_id=member.shop_id, claimable=True, active=True)
        .annotate(
            held=Count(
                "coupons",
                filter=Q(coupons__member=member) & ~Q(coupons__status=CouponStatus.REVOKED),
            )
        )
        .order_by("-created_at")[:limit]
    )
    for template in rows:
        template.limit_reached = limit_reached(template, template.held)  # type: ignore[attr-defined]
    return rows
