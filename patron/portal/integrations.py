"""The portal's reads over the points, tiers, promotions and rewards apps.

Where those apps offer a selector it is called; where they do not yet, the
query is written here, read-only (noted in docs/decisions/ui.md). Apps that are
not installed simply contribute nothing, so the portal works with any subset.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from patron.core import clock
from patron.members.models import Member

EXPIRY_HORIZON_DAYS = 90


def installed(app: str) -> bool:
    return apps.is_installed(f"patron.{app}")


# --- Points -----------------------------------------------------------------------


def points_summary(member: Member) -> dict[str, Any]:
    """Available and pending points, and what expires within the horizon, by day."""
    empty: dict[str, Any] = {
        "available": 0,
        "pending": 0,
        "debt": 0,
        "expiring": [],
        "expiring_total": 0,
    }
    if not installed("points"):
        return empty
    from patron.points.models import LotState, PointsAccount, PointsLot

    account = PointsAccount.objects.filter(member=member).first()
    if account is None:
        return empty
    horizon = clock.now() + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    by_day: dict[dt.date, int] = defaultdict(int)
    lots = PointsLot.objects.filter(
        account=account,
        state=LotState.AVAILABLE,
        remaining__gt=0,
        expires_at__isnull=False,
        expires_at__lte=horizon,
    ).values_list("expires_at", "remaining")
    for expires_at, remaining in lots:
        assert expires_at is not None  # filtered above
        # By the last day they can be used (expiry is an exclusive midnight).
        by_day[clock.last_day(expires_at)] += remaining
    expiring = sorted(by_day.items())
    return {
        "available": account.available,
        "pending": account.pending,
        "debt": account.debt,
        "lifetime_earned": account.lifetime_earned,
        "expiring": expiring,
        "expiring_total": sum(p for _, p in expiring),
    }


def reason_text(entry: Any) -> str:
    """Why this line of points history happened, in the active language (the
    points app's one catalogue of reasons)."""
    from patron.points.reasons import render_reason

    return render_reason(entry.reason_code, entry.reason_params or {}, get_language() or "zh-hans")


def points_history(member: Member, *, limit: int = 100) -> list[dict[str, Any]]:
    if not installed("points"):
        return []
    from patron.points.models import LedgerEntry

    entries = LedgerEntry.objects.filter(account__member=member).order_by("-created_at", "-id")
    rows = []
    for entry in entries[:limit]:
        if entry.points == 0:
            continue
        rows.append(
            {
                "at": entry.created_at,
                "points": entry.points,
                "kind": entry.kind,
                "pending": entry.delta_pending != 0 and entry.delta_available == 0,
                "reason": reason_text(entry),
            }
        )
    return rows


def check_in_status(member: Member) -> dict[str, Any]:
    """Whether the member checked in today and the streak as it stands."""
    if not installed("points"):
        return {"done_today": False, "streak": 0, "week": []}
    from patron.points.models import CheckIn

    today = clock.today()
    recent = {
        c.day: c
        for c in CheckIn.objects.filter(member=member, day__gte=today - dt.timedelta(days=40))
    }
    latest = recent.get(today) or recent.get(today - dt.timedelta(days=1))
    streak = latest.streak if latest else 0
    week = [today - dt.timedelta(days=i) for i in range(6, -1, -1)]
    return {
        "done_today": today in recent,
        "today_points": recent[today].points if today in recent else 0,
        "streak": streak,
        "week": [{"day": d, "done": d in recent} for d in week],
    }


# --- Tiers ---------------------------------------------------------------------------


def _tier_name(data: dict[str, Any] | None, language: str) -> str:
    if not data:
        return ""
    return str(data.get("name_en") if language.startswith("en") else data.get("name"))


def tier_status(member: Member, language: str) -> dict[str, Any] | None:
    """The tier card: name, value, progress to the next tier, kept-until date."""
    if not installed("tiers"):
        return None
    from patron.tiers import selectors as tier_selectors

    status = tier_selectors.member_tier_status(member)
    tier = status.get("tier")
    if tier is None:
        return None
    nxt = status.get("next_tier")
    value = int(status.get("value") or 0)
    progress = 100
    if nxt:
        span = max(1, int(nxt["entry_threshold"]) - int(tier["entry_threshold"]))
        progress = max(0, min(100, (value - int(tier["entry_threshold"])) * 100 // span))
    kept = status.get("kept_until")
    return {
        "code": tier["code"],
        "name": _tier_name(tier, language),
        "value": value,
        "measure": status.get("measure"),
        "next_name": _tier_name(nxt, language) if nxt else "",
        "next_threshold": nxt["entry_threshold"] if nxt else None,
        "missing": nxt["missing"] if nxt else 0,
        "progress": progress,
        "kept_until": dt.date.fromisoformat(kept) if kept else None,
        "override": status.get("override", False),
        "at_risk": (status.get("retention") or {}).get("at_risk", False),
    }


def benefits_table(member: Member, language: str) -> dict[str, Any]:
    """Rows of benefits by tier, columns the shop's tiers, the member's own marked."""
    if not installed("tiers"):
        return {"tiers": [], "rows": [], "mine": ""}
    from patron.core.money import format_money
    from patron.tiers import selectors as tier_selectors

    tiers = tier_selectors.tier_list(member.shop)
    mine = tier_selectors.member_tier_code(member)
    yes, no = "✓", "—"

    def pct_off(bp: int) -> str:
        if not bp:
            return no
        # 1000 bp = 10% off; shown as 9折 in Chinese, "10% off" in English.
        if language.startswith("en"):
            return _("%(p)s%% off") % {"p": f"{bp / 100:g}"}
        return _("%(z)s折") % {"z": f"{(10000 - bp) / 1000:g}"}

    def shipping(fen: int | None) -> str:
        if fen is None:
            return no
        if fen == 0:
            return _("always free")
        return _("free from %(amount)s") % {"amount": format_money(fen)}

    spec: list[tuple[str, Any]] = [
        (_("Entry threshold"), lambda t: f"{t['entry_threshold']:,}"),
        (_("Points earn rate"), lambda t: f"×{t['benefits']['earn_multiplier_percent'] / 100:g}"),
        (_("Member discount"), lambda t: pct_off(t["benefits"]["discount_bp"])),
        (_("Free shipping"), lambda t: shipping(t["benefits"]["free_shipping_threshold"])),
        (_("Priority shipping"), lambda t: yes if t["benefits"]["priority_shipping"] else no),
        (
            _("Birthday gift"),
            lambda t: (
                _("%(n)s points") % {"n": f"{t['benefits']['birthday_gift_points']:,}"}
                if t["benefits"]["birthday_gift_points"]
                else no
            ),
        ),
        (
            _("Monthly coupons"),
            lambda t: (
                str(t["benefits"]["monthly_coupon_count"])
                if t["benefits"]["monthly_coupon_count"]
                else no
            ),
        ),
        (_("Member flash sales"), lambda t: yes if t["benefits"]["flash_sale_access"] else no),
        # Free trials, member-only events and dedicated service are not shown:
        # nothing in Patron delivers them yet (they come with the campaigns'
        # events and the service desk), and the portal promises only what is given.
    ]
    rows = [
        {"label": label, "cells": [{"v": fn(t), "mine": t["code"] == mine} for t in tiers]}
        for label, fn in spec
    ]
    heads = [{"code": t["code"], "name": _tier_name(t, language)} for t in tiers]
    return {"tiers": heads, "rows": rows, "mine": mine}


def tier_history(member: Member, language: str) -> list[dict[str, Any]]:
    if not installed("tiers"):
        return []
    from patron.tiers.models import TierChange, TierChangeCause

    causes: dict[str, str] = {
        TierChangeCause.EVENT: _("Your purchases and activity reached the threshold"),
        TierChangeCause.PERIOD_EVALUATION: _("Periodic tier review"),
        TierChangeCause.OVERRIDE: _("Set by the service team"),
        TierChangeCause.OVERRIDE_REMOVED: _("Manual tier ended"),
        TierChangeCause.TIER_RETIRED: _("The tier was retired"),
        TierChangeCause.BACKFILL: _("Computed from your history"),
    }
    rows = []
    for change in TierChange.objects.filter(member=member).select_related("from_tier", "to_tier"):
        rows.append(
            {
                "at": change.at,
                "from": change.from_tier.display_name(language) if change.from_tier else "",
                "to": change.to_tier.display_name(language),
                "direction": change.direction,
                "cause": causes.get(change.cause, change.get_cause_display()),
                "value": change.value,
                "threshold": change.threshold,
            }
        )
    return rows


# --- Coupons and flash sales ---------------------------------------------------------------


def coupon_wallet(member: Member) -> dict[str, list[Any]]:
    """The member's coupons split into usable, used and expired (or withdrawn)."""
    wallet: dict[str, list[Any]] = {"usable": [], "used": [], "expired": []}
    if not installed("promotions"):
        return wallet
    from patron.promotions.models import Coupon, CouponStatus

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


def _member_benefits(member: Member) -> Any:
    if not installed("tiers"):
        return None
    from patron.tiers import selectors as tier_selectors

    return tier_selectors.member_benefits(member)


def flash_sales(member: Member) -> list[dict[str, Any]]:
    """Live and upcoming flash sales with what is left and the member's own claims."""
    if not installed("promotions"):
        return []
    from django.db.models import Count, Q

    from patron.promotions.models import FlashSale

    now = clock.now()
    benefits = _member_benefits(member)
    # Flash sales are a tier benefit: shown to every member, claimable with it.
    tier_allowed = benefits is None or benefits.flash_sale_access
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


def claimable_templates(member: Member) -> list[Any]:
    if not installed("promotions"):
        return []
    from patron.promotions import selectors as promotion_selectors

    return list(promotion_selectors.claimable_templates(member))


# --- Rewards -----------------------------------------------------------------------


def rewards(member: Member) -> list[Any]:
    if not installed("rewards"):
        return []
    from django.db.models import Q

    from patron.rewards.models import Reward

    now = clock.now()
    return list(
        Reward.objects.filter(shop=member.shop, active=True)
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("coupon_template")
        .order_by("points_price", "id")
    )


def reward_get(member: Member, reward_id: int) -> Any:
    if not installed("rewards"):
        return None
    from patron.rewards.models import Reward

    return Reward.objects.filter(shop=member.shop, pk=reward_id).first()


def redemptions(member: Member) -> list[Any]:
    if not installed("rewards"):
        return []
    from patron.rewards.models import Redemption

    return list(
        Redemption.objects.filter(member=member).select_related("reward").order_by("-placed_at")
    )


# --- The member's own data ----------------------------------------------------------------


def export_sections(member: Member) -> dict[str, Any]:
    """Points, tiers, coupons and redemptions for the member's data download."""
    data: dict[str, Any] = {}
    if installed("points"):
        from patron.points.models import LedgerEntry, PointsLot

        summary = points_summary(member)
        data["points"] = {
            "available": summary["available"],
            "pending": summary["pending"],
            "ledger": list(
                LedgerEntry.objects.filter(account__member=member)
                .order_by("created_at", "id")
                .values("created_at", "kind", "points", "reason_code", "reason_params")
            ),
            "lots": list(
                PointsLot.objects.filter(account__member=member)
                .order_by("earned_at", "id")
                .values("points", "remaining", "state", "earned_at", "available_at", "expires_at")
            ),
        }
    if installed("tiers"):
        from patron.tiers.models import GrowthEntry, TierChange

        data["tier_history"] = [
            {
                "at": c.at,
                "from": c.from_tier.code if c.from_tier else None,
                "to": c.to_tier.code,
                "cause": c.cause,
                "value": c.value,
            }
            for c in TierChange.objects.filter(member=member)
            .select_related("from_tier", "to_tier")
            .order_by("at", "id")
        ]
        data["growth"] = list(
            GrowthEntry.objects.filter(member=member)
            .order_by("occurred_at", "id")
            .values("occurred_at", "kind", "value", "month")
        )
    if installed("promotions"):
        from patron.promotions.models import Coupon

        data["coupons"] = list(
            Coupon.objects.filter(member=member)
            .order_by("issued_at", "id")
            .values(
                "code", "template__name", "status", "source", "issued_at", "valid_until", "used_at"
            )
        )
    if installed("rewards"):
        from patron.rewards.models import Redemption

        data["redemptions"] = list(
            Redemption.objects.filter(member=member)
            .order_by("placed_at", "id")
            .values("reward__name", "points", "status", "placed_at", "fulfilled_at")
        )
    return data
