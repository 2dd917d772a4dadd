"""Tier definitions and programme settings: defaults, validation, reorder, retire."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.config_cache import config_changed
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record, snapshot
from patron.tiers.models import (
    MemberTier,
    Tier,
    TierBenefits,
    TierChange,
    TierChangeCause,
    TierProgram,
)


@dataclass(frozen=True)
class DefaultTier:
    code: str
    name_zh: str
    name_en: str
    rank: int
    entry: int
    retention: int
    benefits: dict[str, Any] = field(default_factory=dict)


DEFAULT_TIERS: list[DefaultTier] = [
    DefaultTier("normal", "普通会员", "Normal", 10, 0, 0, {"earn_multiplier_percent": 100}),
    DefaultTier(
        "silver",
        "银牌会员",
        "Silver",
        20,
        1000,
        800,
        {
            "earn_multiplier_percent": 120,
            "discount_bp": 200,
            "free_shipping_threshold": 9900,
            "birthday_gift_points": 100,
            "flash_sale_access": True,
        },
    ),
    DefaultTier(
        "gold",
        "金牌会员",
        "Gold",
        30,
        5000,
        4000,
        {
            "earn_multiplier_percent": 150,
            "discount_bp": 500,
            "free_shipping_threshold": 0,
            "priority_shipping": True,
            "birthday_gift_points": 300,
            "free_trial": True,
            "flash_sale_access": True,
            "member_only_events": True,
            "monthly_coupon_template": "GOLD-MONTHLY",
            "monthly_coupon_count": 1,
        },
    ),
    DefaultTier(
        "diamond",
        "钻石会员",
        "Diamond",
        40,
        20000,
        16000,
        {
            "earn_multiplier_percent": 200,
            "discount_bp": 800,
            "free_shipping_threshold": 0,
            "priority_shipping": True,
            "birthday_gift_points": 800,
            "birthday_coupon_template": "DIAMOND-BIRTHDAY",
            "free_trial": True,
            "flash_sale_access": True,
            "member_only_events": True,
            "dedicated_service": True,
            "monthly_coupon_template": "DIAMOND-MONTHLY",
            "monthly_coupon_count": 2,
        },
    ),
]


def tiers_seed_defaults(*, shop: Shop) -> TierProgram:
    """Give the shop the default programme and tiers unless it has them (idempotent).

    Called by seed-demo, the tests and, for a shop that never configured tiers,
    the first event that needs them. Concurrent callers are safe: inserts that
    lose the race are ignored.
    """
    now = clock.now()
    with transaction.atomic():
        program = TierProgram.objects.filter(shop=shop).first()
        if program is None:
            inserted, _ = insert_or_first(
                lambda: TierProgram.objects.create(shop=shop, updated_at=now),
                lambda: TierProgram.objects.get(shop=shop),
            )
            program = inserted
        if not Tier.objects.filter(shop=shop).exists():
            Tier.objects.bulk_create(
                [
                    Tier(
                        shop=shop,
                        code=d.code,
                        name=d.name_zh,
                        name_en=d.name_en,
                        rank=d.rank,
                        entry_threshold=d.entry,
                        retention_threshold=d.retention,
                    )
                    for d in DEFAULT_TIERS
                ],
                ignore_conflicts=True,
            )
            by_code = {t.code: t for t in Tier.objects.filter(shop=shop)}
            TierBenefits.objects.bulk_create(
                [
                    TierBenefits(tier=by_code[d.code], **d.benefits)
                    for d in DEFAULT_TIERS
                    if d.code in by_code
                ],
                ignore_conflicts=True,
            )
            config_changed(shop.pk)
    return program


def ladder_validate(tiers: list[Tier]) -> None:
    """Active tiers ordered by rank must have distinct ranks, rising thresholds
    and a lowest tier anyone is in (entry threshold 0)."""
    active = sorted((t for t in tiers if t.is_active), key=lambda t: t.rank)
    if not active:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, _("at least one tier must be active"), field="is_active"
        )
    if active[0].entry_threshold != 0:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("the lowest tier %(code)s must have entry threshold 0"), code=repr(active[0].code)
            ),
            field="entry_threshold",
        )
    for lower, upper in itertools.pairwise(active):
        if lower.rank == upper.rank:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(
                    _("tiers %(code)s and %(code2)s share rank %(rank)s"),
                    code=repr(lower.code),
                    code2=repr(upper.code),
                    rank=lower.rank,
                ),
                field="rank",
            )
        if upper.entry_threshold <= lower.entry_threshold:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(
                    _("tier %(code)s must need more than %(code2)s to enter"),
                    code=repr(upper.code),
                    code2=repr(lower.code),
                ),
                field="entry_threshold",
            )
        if upper.retention_threshold < lower.retention_threshold:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(
                    _("tier %(code)s cannot be easier to keep than %(code2)s"),
                    code=repr(upper.code),
                    code2=repr(lower.code),
                ),
                field="retention_threshold",
            )
    for t in active:
        if not 0 <= t.retention_threshold <= t.entry_threshold:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(
                    _(
                        "tier %(code)s: retention threshold must be between 0 and the entry "
                        "threshold"
                    ),
                    code=repr(t.code),
                ),
                field="retention_threshold",
            )


def tier_save(
    *, tier: Tier, actor: User | AnonymousUser | None, benefits: dict[str, Any] | None = None
) -> Tier:
    """Create or change a tier after checking the whole ladder; audited."""
    with transaction.atomic():
        others = list(Tier.objects.select_for_update().filter(shop=tier.shop).exclude(pk=tier.pk))
        ladder_validate([*others, tier])
        before = snapshot(Tier.objects.get(pk=tier.pk)) if tier.pk else None
        tier.save()
        if benefits is not None:
            TierBenefits.objects.update_or_create(tier=tier, defaults=benefits)
        else:
            TierBenefits.objects.get_or_create(tier=tier)
        audit_record(
            actor=actor,
            action="tier.change" if before else "tier.create",
            obj=tier,
            before=before,
            after=snapshot(tier),
        )
    return tier


def tiers_reorder(
    *, shop: Shop, codes: list[str], actor: User | AnonymousUser | None
) -> list[Tier]:
    """Give the listed tiers ranks 10, 20, ... in the order given (lowest first)."""
    with transaction.atomic():
        tiers = {t.code: t for t in Tier.objects.select_for_update().filter(shop=shop)}
        unknown = [c for c in codes if c not in tiers]
        if unknown or len(set(codes)) != len(codes):
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(_("unknown or repeated codes: %(unknown)s"), unknown=unknown),
                field="codes",
            )
        before = {c: t.rank for c, t in tiers.items()}
        for i, code in enumerate(codes):
            tiers[code].rank = (i + 1) * 10
        ladder_validate(list(tiers.values()))
        Tier.objects.bulk_update(tiers.values(), ["rank"])
        config_changed(shop.pk)
        audit_record(
            actor=actor,
            action="tier.reorder",
            object_type="tiers.tier",
            object_id=str(shop.pk),
            object_repr=f"{shop} tiers",
            shop=shop,
            before=before,
            after={c: t.rank for c, t in tiers.items()},
        )
    return sorted(tiers.values(), key=lambda t: t.rank)


def tier_retire(*, tier: Tier, actor: User | AnonymousUser | None, reason: str) -> int:
    """Retire a tier: its members move to the next active tier below (or above,
    for the lowest), set-based, with history. Returns how many moved."""
    require_perm(actor, "tiers.retire_tier", shop=tier.shop_id, what="retire tiers")
    if not reason.strip():
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("a reason is required"), field="reason")
    now = clock.now()
    with transaction.atomic():
        tiers = list(Tier.objects.select_for_update().filter(shop=tier.shop, is_active=True))
        remaining = [t for t in tiers if t.pk != tier.pk]
        tier.is_active = False
        ladder_validate([*remaining, tier])
        below = [t for t in remaining if t.rank < tier.rank]
        target = max(below, key=lambda t: t.rank) if below else min(remaining, key=lambda t: t.rank)
        moving = MemberTier.objects.filter(tier=tier)
        changes = [
            TierChange(
                shop=tier.shop,
                member_id=member_id,
                from_tier=tier,
                to_tier=target,
                direction=-1 if target.rank < tier.rank else 1,
                at=now,
                cause=TierChangeCause.TIER_RETIRED,
                measure="growth",
                value=0,
                threshold=0,
                actor=actor if isinstance(actor, User) else None,
                note=reason[:200],
            )
            for member_id in moving.values_list("member_id", flat=True).iterator()
        ]
        TierChange.objects.bulk_create(changes, batch_size=2000)
        moved = moving.update(tier=target, since=now, grace_until=None, updated_at=now)
        Tier.objects.filter(pk=tier.pk).update(is_active=False, retired_at=now)
        config_changed(tier.shop_id)
        audit_record(
            actor=actor,
            action="tier.retire",
            obj=tier,
            after={"moved_to": target.code, "members": moved},
            reason=reason,
        )
    return moved


def program_update(
    *, program: TierProgram, actor: User | AnonymousUser | None, **fields: Any
) -> TierProgram:
    allowed = {f.name for f in TierProgram._meta.concrete_fields} - {"id", "shop", "updated_at"}
    unknown = set(fields) - allowed
    if unknown:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("unknown settings %(unknown)s"), unknown=sorted(unknown)),
            field=sorted(unknown)[0],
        )
    with transaction.atomic():
        before = snapshot(program)
        for name, value in fields.items():
            setattr(program, name, value)
        program.updated_at = clock.now()
        program.full_clean(exclude=["shop"])
        program.save()
        audit_record(
            actor=actor,
            action="tierprogram.change",
            obj=program,
            before=before,
            after=snapshot(program),
        )
    return program
