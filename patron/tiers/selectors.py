"""Reads: a member's tier, growth value, benefits and standing; tier lists.

``member_tier_code`` and ``member_benefits`` are what other apps (points,
promotions) call; they never write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from django.apps import apps
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from patron.core import clock, config_cache
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import periods
from patron.tiers.models import (
    BENEFIT_FIELDS,
    GrowthMonth,
    MemberTier,
    QualifyingMeasure,
    Tier,
    TierBenefits,
    TierChange,
    TierProgram,
)
from patron.tiers.services.definitions import DEFAULT_TIERS


def tier_program_get(shop: Shop | int) -> TierProgram:
    """The shop's programme, or the defaults (unsaved, no pk) when it has none
    yet. Cached within an event (``core.config_cache``): do not modify."""
    shop_id = shop if isinstance(shop, int) else shop.pk

    def load() -> TierProgram:
        program = TierProgram.objects.filter(shop_id=shop_id).first()
        return program or TierProgram(shop_id=shop_id, updated_at=clock.now())

    return config_cache.cached(shop_id, "tiers.program", load)


def tiers_by_pk(shop_id: int) -> dict[int, Tier]:
    """All the shop's tiers, retired ones too, with benefits, lowest rank first."""

    def load() -> dict[int, Tier]:
        tiers = Tier.objects.filter(shop_id=shop_id).select_related("benefits").order_by("rank")
        return {t.pk: t for t in tiers}

    return config_cache.cached(shop_id, "tiers.all", load)


def active_tiers(shop: Shop | int) -> list[Tier]:
    """The shop's active tiers, lowest rank first. Cached within an event
    (``core.config_cache``): do not modify the tiers."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    return [t for t in tiers_by_pk(shop_id).values() if t.is_active]


def member_state(member: Member) -> MemberTier | None:
    return MemberTier.objects.select_related("tier", "tier__benefits").filter(member=member).first()


def current_tier(member: Member, tiers: list[Tier] | None = None) -> Tier | None:
    """The member's tier (with benefits): their state's tier, else the lowest
    active tier. One query (inside an event, one small one: the tiers are
    cached there)."""
    if tiers is None and config_cache.in_scope():
        return members_tiers(member.shop_id, [member.pk])[member.pk]
    if tiers is not None:
        state = member_state(member)
        return state.tier if state is not None else (tiers[0] if tiers else None)
    mine = Exists(MemberTier.objects.filter(member_id=member.pk, tier_id=OuterRef("pk")))
    return (
        Tier.objects.select_related("benefits")
        .filter(shop_id=member.shop_id)
        .annotate(mine=mine)
        .filter(Q(mine=True) | Q(is_active=True))
        .order_by("-mine", "rank")
        .first()
    )


def members_tiers(shop_id: int, member_ids: list[int]) -> dict[int, Tier | None]:
    """``current_tier`` of many members of a shop: their row's tier (retired
    ones too), else the lowest active tier. One query for the rows; the tiers
    come from ``tiers_by_pk`` (cached within an event)."""
    by_pk = tiers_by_pk(shop_id)
    lowest = next((t for t in by_pk.values() if t.is_active), None)
    rows = MemberTier.objects.filter(member_id__in=member_ids).values_list("member_id", "tier_id")
    own = dict(rows)
    return {m: by_pk.get(own[m]) if m in own else lowest for m in member_ids}


def growth_values(
    member_ids: list[int], program: TierProgram, on: dt.date | None = None
) -> dict[int, int]:
    """``growth_value`` of many members in one query (0 for those without growth)."""
    first, last = periods.window_months(on or clock.today(), program.window_months)
    rows = (
        GrowthMonth.objects.filter(member_id__in=member_ids, month__gte=first, month__lte=last)
        .values("member_id")
        .annotate(s=Sum("value"))
        .order_by()
    )
    values = {m: 0 for m in member_ids}
    values.update({r["member_id"]: int(r["s"] or 0) for r in rows})
    return values


def growth_value(member: Member, program: TierProgram, on: dt.date | None = None) -> int:
    """Growth value in the rolling window of whole months ending with ``on``'s month."""
    first, last = periods.window_months(on or clock.today(), program.window_months)
    total = GrowthMonth.objects.filter(member=member, month__gte=first, month__lte=last).aggregate(
        s=Sum("value")
    )["s"]
    return int(total or 0)


def lifetime_points_earned(member: Member) -> int:
    """Lifetime points earned, from the points app's account (0 without one)."""
    if not apps.is_installed("patron.points"):
        return 0
    from patron.points.models import PointsAccount

    value = (
        PointsAccount.objects.filter(member=member)
        .values_list("lifetime_earned", flat=True)
        .first()
    )
    return int(value or 0)


def qualifying_value(member: Member, program: TierProgram, on: dt.date | None = None) -> int:
    if program.qualifying_measure == QualifyingMeasure.LIFETIME_POINTS:
        return lifetime_points_earned(member)
    return growth_value(member, program, on)


def member_tier_code(member: Member | None) -> str:
    """The member's tier code ("" when the shop has no tiers). One query."""
    if member is None:
        return ""
    tier = current_tier(member)
    return tier.code if tier is not None else ""


@dataclass(frozen=True)
class Benefits:
    """What a member's tier grants, as plain typed values."""

    tier_code: str
    tier_name: str
    tier_name_en: str
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def benefits_of(tier: Tier) -> Benefits:
    b = getattr(tier, "benefits", None) or TierBenefits(tier=tier)
    return Benefits(
        tier_code=tier.code,
        tier_name=tier.name,
        tier_name_en=tier.name_en,
        **{name: getattr(b, name) for name in BENEFIT_FIELDS},
    )


def member_benefits(member: Member) -> Benefits | None:
    """The benefits in force for the member (None when the shop has no tiers)."""
    tier = current_tier(member)
    return benefits_of(tier) if tier is not None else None


def members_in_tiers(shop: Shop, tier_ids: list[int]) -> QuerySet[Member]:
    """The shop's members whose tier is one of ``tier_ids``, annotated with
    ``current_tier_id`` (the lowest active tier for those without a tier row).
    One query, set-based: for the jobs that hand out what tiers promise."""
    tiers = active_tiers(shop)
    if not tiers or not tier_ids:
        return Member.objects.none()
    return (
        Member.objects.filter(shop=shop)
        .annotate(current_tier_id=Coalesce(F("tier_state__tier_id"), Value(tiers[0].pk)))
        .filter(current_tier_id__in=tier_ids)
    )


def earn_multiplier_percent(member: Member | None) -> int:
    """The tier's points earn multiplier in percent (100 without tiers)."""
    if member is None:
        return 100
    benefits = member_benefits(member)
    return benefits.earn_multiplier_percent if benefits is not None else 100


def tier_code_and_multiplier(tier: Tier | None) -> tuple[str, int]:
    """A tier's code and its own earn multiplier in percent ("", 100 without a tier)."""
    if tier is None:
        return "", 100
    return tier.code, benefits_of(tier).earn_multiplier_percent


def member_tier_and_multiplier(member: Member) -> tuple[str, int]:
    """The member's tier code and earn multiplier in percent, in one query: what
    points earning needs (``points.earning_rules.TierSource``)."""
    return tier_code_and_multiplier(current_tier(member))


def tier_out(tier: Tier) -> dict[str, Any]:
    return {
        "code": tier.code,
        "name": tier.name,
        "name_en": tier.name_en,
        "rank": tier.rank,
        "entry_threshold": tier.entry_threshold,
        "retention_threshold": tier.retention_threshold,
    }


def default_ladder(shop_id: int) -> list[Tier]:
    """The tiers a shop without any is given when its first event needs them
    (``services.definitions.tiers_seed_defaults``), unsaved, lowest first."""
    tiers = []
    for d in sorted(DEFAULT_TIERS, key=lambda d: d.rank):
        tier = Tier(
            shop_id=shop_id,
            code=d.code,
            name=d.name_zh,
            name_en=d.name_en,
            rank=d.rank,
            entry_threshold=d.entry,
            retention_threshold=d.retention,
        )
        TierBenefits(tier=tier, **d.benefits)  # cached on tier.benefits
        tiers.append(tier)
    return tiers


def tier_list(shop: Shop) -> list[dict[str, Any]]:
    """Definitions and benefits of the shop's active tiers, lowest first; for
    a shop that has none yet, the default ladder its first event will give it
    (computed, nothing is written on a read)."""
    out = []
    tiers = active_tiers(shop) if tiers_by_pk(shop.pk) else default_ladder(shop.pk)
    for tier in tiers:
        benefits = benefits_of(tier).as_dict()
        for key in ("tier_code", "tier_name", "tier_name_en"):
            benefits.pop(key)
        out.append({**tier_out(tier), "benefits": benefits})
    return out


def kept_until(
    state: MemberTier | None, tier: Tier, tiers: list[Tier], program: TierProgram, today: dt.date
) -> dt.date | None:
    """The last day the member is sure to keep the tier, whatever happens to
    their value (None: the lowest tier or an override, which cannot be lost)."""
    if state is None or state.override_id is not None or tier.pk == tiers[0].pk:
        return None
    first_eval = periods.period_end(today, program.period)
    if state.protected_until and state.protected_until > first_eval:
        first_eval = periods.period_end(state.protected_until, program.period)
    if state.grace_until is not None:
        return max(first_eval, state.grace_until)
    return periods.period_end(first_eval, program.period, program.grace_periods)


def member_tier_status(member: Member) -> dict[str, Any]:
    """Everything a member may see about their tier and how to move up or keep it."""
    program = tier_program_get(member.shop_id)
    tiers = active_tiers(member.shop_id)
    state = member_state(member)
    tier = state.tier if state is not None else (tiers[0] if tiers else None)
    today = clock.today()
    value = qualifying_value(member, program, today)
    if tier is None:
        return {"tier": None, "measure": program.qualifying_measure, "value": value}
    higher = [t for t in tiers if t.rank > tier.rank]
    next_tier = higher[0] if higher else None
    next_eval = periods.period_end(today, program.period)
    leaving = 0
    if program.qualifying_measure == QualifyingMeasure.GROWTH:
        first_now, _ = periods.window_months(today, program.window_months)
        first_then, _ = periods.window_months(next_eval, program.window_months)
        leaving = int(
            GrowthMonth.objects.filter(
                member=member, month__gte=first_now, month__lt=first_then
            ).aggregate(s=Sum("value"))["s"]
            or 0
        )
    window_first, _ = periods.window_months(today, program.window_months)
    changes = TierChange.objects.filter(member=member).select_related("from_tier", "to_tier")[:10]
    return {
        "tier": tier_out(tier),
        "measure": program.qualifying_measure,
        "value": value,
        "window_starts": window_first.isoformat()
        if program.qualifying_measure == QualifyingMeasure.GROWTH
        else None,
        "next_tier": None
        if next_tier is None
        else {
            **tier_out(next_tier),
            "missing": max(0, next_tier.entry_threshold - value),
        },
        "retention": {
            "threshold": tier.retention_threshold,
            "next_evaluation_on": next_eval.isoformat(),
            "value_leaving_window_by_then": leaving,
            "missing_at_next_evaluation": max(0, tier.retention_threshold - (value - leaving)),
            "at_risk": bool(state and state.grace_until),
            "grace_until": state.grace_until.isoformat() if state and state.grace_until else None,
        },
        "since": state.since.isoformat() if state else None,
        "protected_until": state.protected_until.isoformat()
        if state and state.protected_until
        else None,
        "kept_until": (
            k.isoformat() if (k := kept_until(state, tier, tiers, program, today)) else None
        ),
        "override": bool(state and state.override_id),
        "benefits": benefits_of(tier).as_dict(),
        "recent_changes": [
            {
                "at": c.at.isoformat(),
                "from": c.from_tier.code if c.from_tier else None,
                "to": c.to_tier.code,
                "cause": c.cause,
                "value": c.value,
                "threshold": c.threshold,
                "event_id": c.event_id or None,
                "note": c.note,
            }
            for c in changes
        ],
    }
