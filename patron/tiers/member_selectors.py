"""Reads for the member's own view of their tier (the portal, and the console's
member page): the tier card, the benefits table, the tier history and the
export. The tier reads they build on are in ``selectors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext

from patron.core.money import format_money
from patron.members.models import Member
from patron.tiers.models import (
    GrowthEntry,
    TierChange,
    TierChangeCause,
)
from patron.tiers.selectors import member_tier_code, member_tier_status, tier_list


def tier_name(data: dict[str, Any] | None, language: str) -> str:
    """A tier's name from ``tier_out``'s dict, in this language."""
    if not data:
        return ""
    return str(data.get("name_en") if language.startswith("en") else data.get("name"))


def member_tier_card(member: Member, language: str) -> dict[str, Any] | None:
    """The tier card: name, value, progress to the next tier, kept-until date."""
    status = member_tier_status(member)
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
        "name": tier_name(tier, language),
        "value": value,
        "measure": status.get("measure"),
        "next_name": tier_name(nxt, language) if nxt else "",
        "next_threshold": nxt["entry_threshold"] if nxt else None,
        "missing": nxt["missing"] if nxt else 0,
        "progress": progress,
        "kept_until": dt.date.fromisoformat(kept) if kept else None,
        "override": status.get("override", False),
        "at_risk": (status.get("retention") or {}).get("at_risk", False),
    }


def benefits_table(member: Member, language: str) -> dict[str, Any]:
    """Rows of benefits by tier, columns the shop's tiers, the member's own marked."""
    tiers = tier_list(member.shop)
    mine = member_tier_code(member)
    yes, no = "✓", "—"

    def pct_off(bp: int) -> str:
        if not bp:
            return no
        # 1000 bp = 10% off; shown as 9折 in Chinese, "10% off" in English.
        if language.startswith("en"):
            return gettext("%(p)s%% off") % {"p": f"{bp / 100:g}"}
        return gettext("%(z)s折") % {"z": f"{(10000 - bp) / 1000:g}"}

    def shipping(fen: int | None) -> str:
        if fen is None:
            return no
        if fen == 0:
            return gettext("always free")
        return gettext("free from %(amount)s") % {"amount": format_money(fen)}

    spec: list[tuple[str, Any]] = [
        (gettext("Entry threshold"), lambda t: f"{t['entry_threshold']:,}"),
        (
            gettext("Points earn rate"),
            lambda t: f"×{t['benefits']['earn_multiplier_percent'] / 100:g}",
        ),
        (gettext("Member discount"), lambda t: pct_off(t["benefits"]["discount_bp"])),
        (gettext("Free shipping"), lambda t: shipping(t["benefits"]["free_shipping_threshold"])),
        (
            gettext("Priority shipping"),
            lambda t: yes if t["benefits"]["priority_shipping"] else no,
        ),
        (
            gettext("Birthday gift"),
            lambda t: (
                gettext("%(n)s points") % {"n": f"{t['benefits']['birthday_gift_points']:,}"}
                if t["benefits"]["birthday_gift_points"]
                else no
            ),
        ),
        (
            gettext("Monthly coupons"),
            lambda t: (
                str(t["benefits"]["monthly_coupon_count"])
                if t["benefits"]["monthly_coupon_count"]
                else no
            ),
        ),
        (
            gettext("Member flash sales"),
            lambda t: yes if t["benefits"]["flash_sale_access"] else no,
        ),
        # Free trials, member-only events and dedicated service are not shown:
        # nothing in Patron delivers them yet (they come with the campaigns'
        # events and the service desk), and the portal promises only what is given.
    ]
    rows = [
        {"label": label, "cells": [{"v": fn(t), "mine": t["code"] == mine} for t in tiers]}
        for label, fn in spec
    ]
    heads = [{"code": t["code"], "name": tier_name(t, language)} for t in tiers]
    return {"tiers": heads, "rows": rows, "mine": mine}


def member_tier_history(member: Member, language: str) -> list[dict[str, Any]]:
    """The member's tier changes, each with why it happened in the active language."""
    causes: dict[str, str] = {
        TierChangeCause.EVENT: gettext("Your purchases and activity reached the threshold"),
        TierChangeCause.PERIOD_EVALUATION: gettext("Periodic tier review"),
        TierChangeCause.OVERRIDE: gettext("Set by the service team"),
        TierChangeCause.OVERRIDE_REMOVED: gettext("Manual tier ended"),
        TierChangeCause.TIER_RETIRED: gettext("The tier was retired"),
        TierChangeCause.BACKFILL: gettext("Computed from your history"),
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


def member_tier_export(member: Member) -> dict[str, Any]:
    """The member's tier history and growth, for their data download."""
    return {
        "tier_history": [
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
        ],
        "growth": list(
            GrowthEntry.objects.filter(member=member)
            .order_by("occurred_at", "id")
            .values("occurred_at", "kind", "value", "month")
        ),
    }
