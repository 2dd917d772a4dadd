"""Reads on coupons: a member's wallet, with the status a member would see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q

from patron.core import clock
from patron.core.pages import newest_first_page
from patron.members.models import Member
from patron.promotions import codes
from patron.promotions.models import (
    Coupon,
    CouponStatus,
    CouponTemplate,
    FlashSale,
    ValidityKind,
)


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


def template_out(template: CouponTemplate) -> dict[str, Any]:
    """What a coupon of this template gives and for how long."""
    return {
        "code": template.code,
        "name": template.name,
        "description": template.description,
        "type": template.type,
        "amount": template.amount,
        "percent": template.percent,
        "max_discount": template.max_discount,
        "threshold": template.threshold,
        "repeating": template.repeating,
        "skus": list(template.skus or []),
        "categories": list(template.categories or []),
        "stacking_group": template.stacking_group,
        "exclusive": template.exclusive,
        "validity_kind": template.validity_kind,
        "valid_from": template.valid_from.isoformat() if template.valid_from else None,
        "valid_until": template.valid_until.isoformat() if template.valid_until else None,
        "valid_days": template.valid_days,
        "per_member_limit": template.per_member_limit,
        "tiers": list(template.tier_codes or []),
    }


def member_claimable_templates_page(
    *, member: Member, tier_code: str, limit: int = 20, before: int | None = None
) -> dict[str, Any]:
    """The templates ``member`` may claim (claimable, active, offer not ended,
    open to ``tier_code``), newest first; ``before`` is the id of the last one
    of the previous page. Each says whether the member's limit is reached or
    the templates are all gone, which ``coupon_claim`` would refuse."""
    now = clock.now()
    query = (
        CouponTemplate.objects.filter(shop_id=member.shop_id, claimable=True, active=True)
        .exclude(validity_kind=ValidityKind.FIXED_DATES, valid_until__lte=now)
        .exclude(validity_kind=ValidityKind.FIXED_DATES, valid_until__isnull=True)
        .annotate(
            held=Count(
                "coupons",
                filter=Q(coupons__member=member) & ~Q(coupons__status=CouponStatus.REVOKED),
            )
        )
    )
    if before is not None:
        query = query.filter(pk__lt=before)
    items: list[dict[str, Any]] = []
    last_pk: int | None = None
    more = False
    # Tier rules are JSON lists, filtered here rather than in SQL (portable
    # across SQLite and PostgreSQL); pages are read in chunks until full.
    for template in query.order_by("-pk").iterator(chunk_size=200):
        if len(items) == limit:
            more = True
            break
        last_pk = template.pk
        if template.tier_codes and tier_code not in template.tier_codes:
            continue
        items.append(
            {
                **template_out(template),
                "held": template.held,  # type: ignore[attr-defined]
                "limit_reached": limit_reached(template, template.held),  # type: ignore[attr-defined]
                "sold_out": bool(
                    template.total_limit and template.issued_count >= template.total_limit
                ),
            }
        )
    return {"items": items, "next_before": last_pk if more else None}


def flash_sale_state(sale: FlashSale, now: Any) -> str:
    if not sale.active or now >= sale.ends_at:
        return "ended"
    return "coming" if now < sale.starts_at else "live"


def flash_sale_out(sale: FlashSale, now: Any) -> dict[str, Any]:
    return {
        "sale_id": sale.pk,
        "name": sale.name,
        "state": flash_sale_state(sale, now),
        "starts_at": sale.starts_at.isoformat(),
        "ends_at": sale.ends_at.isoformat(),
        "quantity": sale.quantity,
        "claimed": sale.claimed_count,
        "remaining": max(0, sale.quantity - sale.claimed_count),
        "per_member_limit": sale.per_member_limit,
        "tiers": list(sale.tier_codes or []),
        "coupon": template_out(sale.template),
    }


def flash_sales_page(
    *, shop_id: int, state: str | None = None, limit: int = 20, before: int | None = None
) -> dict[str, Any]:
    """Active flash sales that are live or still to come (``state``: only
    those), newest first; ``before`` is the id of the last one of the
    previous page."""
    now = clock.now()
    query = FlashSale.objects.select_related("template").filter(
        shop_id=shop_id, active=True, ends_at__gt=now
    )
    if state == "live":
        query = query.filter(starts_at__lte=now)
    elif state == "coming":
        query = query.filter(starts_at__gt=now)
    rows, next_before = newest_first_page(query, limit=limit, before=before)
    return {"items": [flash_sale_out(sale, now) for sale in rows], "next_before": next_before}


# --- The member's own view (portal, console) ----------------------------------------


def coupon_wallet(member: Member) -> dict[str, list[Coupon]]:
    """The member's coupons split into usable, used and expired (or withdrawn)."""
    wallet: dict[str, list[Coupon]] = {"usable": [], "used": [], "expired": []}
    now = clock.now()
    coupons = (
        Coupon.objects.filter(member=member)
        .select_related("template")
        .order_by("valid_until", "-id")
    )
    for coupon in coupons:
        if coupon.status == CouponStatus.USED:
            wallet["used"].append(coupon)
        elif coupon.status == CouponStatus.REVOKED or coupon.valid_until <= now:
            wallet["expired"].append(coupon)
        else:
            wallet["usable"].append(coupon)
    wallet["used"].sort(key=lambda c: c.used_at or c.issued_at, reverse=True)
    wallet["expired"].sort(key=lambda c: c.valid_until, reverse=True)
    return wallet


def member_flash_sales(member: Member, *, tier_allowed: bool) -> list[dict[str, Any]]:
    """Live and upcoming flash sales with what is left and the member's own claims.

    Flash sales are a tier benefit: shown to every member, claimable with it
    (``tier_allowed``, the member's tier's ``flash_sale_access``)."""
    now = clock.now()
    sales = (
        FlashSale.objects.filter(shop=member.shop, active=True, ends_at__gt=now)
        .select_related("template")
        .annotate(mine=Count("claims", filter=Q(claims__member=member)))
        .order_by("starts_at")
    )
    rows = []
    for sale in sales:
        left = max(0, sale.quantity - sale.claimed_count)
        rows.append(
            {
                "sale": sale,
                "template": sale.template,
                "left": left,
                "left_percent": left * 100 // sale.quantity if sale.quantity else 0,
                "live": sale.starts_at <= now,
                "mine": sale.mine,
                "limit_reached": bool(sale.per_member_limit and sale.mine >= sale.per_member_limit),
                "tier_allowed": tier_allowed,
            }
        )
    return rows


def member_coupons_export(member: Member) -> list[Any]:
    """The member's coupons, for their data download."""
    return list(
        Coupon.objects.filter(member=member)
        .order_by("issued_at", "id")
        .values("code", "template__name", "status", "source", "issued_at", "valid_until", "used_at")
    )
