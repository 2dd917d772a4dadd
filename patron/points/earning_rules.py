"""What an order or an action earns, by which rules: pure calculation, no writes.

Used by the event handlers (which then write the ledger) and by the preview
endpoint (which writes nothing), so the two can never disagree.

Order points: for each rule in force whose condition holds and whose minimum is
met, every line earns

    line paid amount (fen) / (100 × yuan step) × points per yuan step
        × SKU-or-category % × tier % × member-day % × campaign %

(the yuan step is 1 unless a rule gives, say, 1 point for every ¥10).

The exact fractions are summed and the order total is rounded **down** once;
the total is then split over the lines in proportion to their exact shares
(``allocate``), so the line attributions add up to the total and a refund of a
line reverses exactly what that line earned.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from patron.core.money import Rounding, allocate, divide
from patron.members.models import Member
from patron.rules import cel
from patron.rules.models import EarningRuleVersion


@dataclass(frozen=True)
class TierSource:
    """How earning learns a member's tier: the tiers app, which sits above
    points, registers one (``tier_source_register``) when it is ready. Without
    one, members have no tier ("" and 100 %)."""

    code_of: Callable[[Member], str]  # one query
    code_and_multiplier_of: Callable[[Member], tuple[str, int]]  # one query


_tier_source = TierSource(
    code_of=lambda member: "", code_and_multiplier_of=lambda member: ("", 100)
)


def tier_source_register(source: TierSource) -> None:
    global _tier_source
    _tier_source = source


def member_tier_code(member: Member | None) -> str:
    """The member's tier code for tier multipliers and conditions ("" when the
    shop has no tiers)."""
    return _tier_source.code_of(member) if member is not None else ""


def member_tier(member: Member | None) -> tuple[str, int]:
    """The member's tier code and its own earn multiplier in percent, in one
    query ("", 100 without a tier)."""
    return _tier_source.code_and_multiplier_of(member) if member is not None else ("", 100)


@dataclass(frozen=True)
class LineFacts:
    line_id: str
    sku: str
    category: str
    quantity: int
    unit_price: int
    paid_amount: int  # fen, the line's share of what was paid (no shipping, no points)


@dataclass(frozen=True)
class OrderFacts:
    order_id: str
    lines: list[LineFacts]
    paid_amount: int
    shipping_fee: int
    items_amount: int
    points_used: int
    coupon_codes: list[str]
    paid_at: dt.datetime
    event_data: dict[str, Any] = field(default_factory=dict)

    @property
    def goods_paid(self) -> int:
        return sum(line.paid_amount for line in self.lines)


@dataclass
class RuleEarning:
    version: EarningRuleVersion
    points: int
    line_points: dict[str, int]  # line_id -> points
    multipliers: dict[str, int]  # name -> percent, for the explanation
    capped_from: int | None = None


@dataclass
class Skipped:
    version: EarningRuleVersion
    why: str  # condition_not_met, below_minimum, zero_points, capped


def member_activation(member: Member | None, tier_code: str | None = None) -> dict[str, Any]:
    if member is None:
        return {"external_id": "", "tier": ""}
    return {
        "external_id": member.external_id,
        "tier": member_tier_code(member) if tier_code is None else tier_code,
        "registration_channel": member.registration_channel,
        "gender": member.gender,
        "language": member.language,
        "registered_at": member.registered_at,
        "has_birthday": member.birthday is not None,
    }


def order_activation(
    facts: OrderFacts, member: Member | None, tier_code: str | None = None
) -> dict[str, Any]:
    order = {
        "order_id": facts.order_id,
        "paid_amount": facts.paid_amount,
        "goods_paid": facts.goods_paid,
        "shipping_fee": facts.shipping_fee,
        "items_amount": facts.items_amount,
        "points_used": facts.points_used,
        "coupon_codes": list(facts.coupon_codes),
        "lines": [
            {
                "line_id": ln.line_id,
                "sku": ln.sku,
                "category": ln.category,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "paid_amount": ln.paid_amount,
            }
            for ln in facts.lines
        ],
    }
    return {
        "event": {"type": "order.paid", "data": facts.event_data or order},
        "order": order,
        "member": member_activation(member, tier_code),
    }


def is_member_day(version: EarningRuleVersion, at: dt.datetime) -> bool:
    """On the configured day of the month, shop time; a day of 29 to 31 falls
    on the last day of a month that is shorter."""
    day = version.member_day_of_month
    if day is None:
        return False
    local = timezone.localtime(at).date()
    return local.day == min(day, calendar.monthrange(local.year, local.month)[1])


def in_campaign(version: EarningRuleVersion, at: dt.datetime) -> bool:
    """In the rule's campaign window [start, end)."""
    starts, ends = version.campaign_starts_at, version.campaign_ends_at
    return starts is not None and ends is not None and starts <= at < ends


def order_earnings(
    *,
    facts: OrderFacts,
    member: Member | None,
    versions: list[EarningRuleVersion],
    tier_of_member: tuple[str, int] | None = None,
) -> tuple[list[RuleEarning], list[Skipped]]:
    """Points each rule gives this order (before caps), and the rules that gave none.

    ``tier_of_member`` is ``member_tier(member)`` when the caller already has it."""
    earned: list[RuleEarning] = []
    skipped: list[Skipped] = []
    tier, tier_earn_pct = tier_of_member or member_tier(member)
    activation = order_activation(facts, member, tier)
    tier_default_pct = tier_earn_pct if tier else 100
    for v in versions:
        if facts.goods_paid < v.min_order_amount:
            skipped.append(Skipped(v, "below_minimum"))
            continue
        if not cel.evaluate(v.pk, v.condition, activation):
            skipped.append(Skipped(v, "condition_not_met"))
            continue
        tier_pct = int(v.tier_multipliers.get(tier, tier_default_pct)) if tier else 100
        day_pct = v.member_day_multiplier if is_member_day(v, facts.paid_at) else 100
        campaign_pct = v.campaign_multiplier if in_campaign(v, facts.paid_at) else 100
        numerators: list[int] = []
        for ln in facts.lines:
            line_pct = v.sku_multipliers.get(ln.sku, v.category_multipliers.get(ln.category, 100))
            numerators.append(
                ln.paid_amount
                * v.points_per_yuan
                * int(line_pct)
                * tier_pct
                * day_pct
                * campaign_pct
            )
        # fen per yuan times the yuan step, four percentages
        denominator = 100 * (v.spend_step_yuan or 1) * 100**4
        total = divide(sum(numerators), denominator, Rounding.DOWN)
        if total <= 0:
            skipped.append(Skipped(v, "zero_points"))
            continue
        parts = allocate(total, numerators)
        multipliers = {"tier": tier_pct, "member_day": day_pct, "campaign": campaign_pct}
        earned.append(
            RuleEarning(
                version=v,
                points=total,
                line_points={ln.line_id: p for ln, p in zip(facts.lines, parts, strict=True) if p},
                multipliers={k: m for k, m in multipliers.items() if m != 100},
            )
        )
    return earned, skipped


def action_points(
    *, version: EarningRuleVersion, data: dict[str, Any], streak: int | None = None
) -> tuple[int, dict[str, Any]]:
    """Points one action earns under one rule version (before caps), with the why."""
    points = version.points
    why: dict[str, Any] = {"base": version.points}
    if data.get("has_photos") and version.photo_bonus_points:
        points += version.photo_bonus_points
        why["photo_bonus"] = version.photo_bonus_points
    if streak is not None:
        bonus = int(version.streak_bonuses.get(str(streak), 0))
        if bonus:
            points += bonus
            why["streak_bonus"] = bonus
        why["streak"] = streak
    return points, why
