"""Manual tier overrides: requested with a reason, approved by another
operator, audited, and sticky until an operator removes them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.services import audit_record
from patron.members.models import Member
from patron.tiers import periods, selectors
from patron.tiers.models import (
    MemberTier,
    OverrideStatus,
    Tier,
    TierChange,
    TierChangeCause,
    TierOverride,
)
from patron.tiers.services.growth import member_lock


def _override_after(o: TierOverride) -> dict[str, object]:
    return {
        "member": o.member.external_id,
        "tier": o.tier.code,
        "status": o.status,
        "requested_by": o.requested_by.get_username(),
        "decided_by": o.decided_by.get_username() if o.decided_by else None,
    }


def override_request(*, member: Member, tier: Tier, reason: str, actor: User) -> TierOverride:
    if not reason.strip():
        raise PatronError(ErrorCode.VALIDATION_ERROR, "a reason is required", field="reason")
    if tier.shop_id != member.shop_id or not tier.is_active:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, "not an active tier of this shop", field="tier"
        )
    try:
        with transaction.atomic():
            override = TierOverride.objects.create(
                shop_id=member.shop_id,
                member=member,
                tier=tier,
                reason=reason.strip(),
                requested_by=actor,
                requested_at=clock.now(),
            )
            audit_record(
                actor=actor,
                action="tier_override.request",
                obj=override,
                after=_override_after(override),
                reason=override.reason,
            )
    except IntegrityError:
        raise PatronError(
            ErrorCode.CONFLICT,
            "this member already has an override pending or in force",
            field="member",
        ) from None
    return override


def _locked_pending(override: TierOverride) -> TierOverride:
    locked = (
        TierOverride.objects.select_for_update()
        .select_related("member", "tier", "requested_by")
        .get(pk=override.pk)
    )
    if locked.status != OverrideStatus.PENDING:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION, f"the override is {locked.status}", field="status"
        )
    return locked


def override_approve(*, override: TierOverride, actor: User, note: str = "") -> TierOverride:
    """Put the override in force. Only an operator other than the requester may."""
    now = clock.now()
    with transaction.atomic():
        o = _locked_pending(override)
        if o.requested_by_id == actor.pk:
            raise PatronError(
                ErrorCode.FORBIDDEN,
                "a second operator must approve; you cannot approve your own request",
                status=403,
            )
        member = o.member
        member_lock(member)
        program = selectors.program_of(member.shop_id)
        tiers = selectors.active_tiers(member.shop_id)
        state = MemberTier.objects.select_for_update().filter(member=member).first()
        before = state.tier if state else tiers[0]
        value = selectors.qualifying_value(member, program)
        if state is None:
            state = MemberTier(member=member, shop_id=member.shop_id)
        state.tier = o.tier
        state.override = o
        state.since = now
        state.grace_until = None
        state.updated_at = now
        state.save()
        TierChange.objects.create(
            shop_id=member.shop_id,
            member=member,
            from_tier=before,
            to_tier=o.tier,
            direction=(o.tier.rank > before.rank) - (o.tier.rank < before.rank),
            at=now,
            cause=TierChangeCause.OVERRIDE,
            measure=program.qualifying_measure,
            value=value,
            threshold=o.tier.entry_threshold,
            override=o,
            actor=actor,
            note=o.reason[:200],
        )
        o.status = OverrideStatus.APPROVED
        o.decided_by = actor
        o.decided_at = now
        o.decision_note = note
        o.save()
        audit_record(
            actor=actor,
            action="tier_override.approve",
            obj=o,
            before={"tier": before.code},
            after=_override_after(o),
            reason=o.reason,
        )
    return o


def override_reject(*, override: TierOverride, actor: User, note: str = "") -> TierOverride:
    with transaction.atomic():
        o = _locked_pending(override)
        o.status = OverrideStatus.REJECTED
        o.decided_by = actor
        o.decided_at = clock.now()
        o.decision_note = note
        o.save()
        audit_record(
            actor=actor, action="tier_override.reject", obj=o, after=_override_after(o), reason=note
        )
    return o


def override_remove(*, override: TierOverride, actor: User, reason: str) -> TierOverride:
    """End an override: the member gets the tier their value reaches now, and
    the jobs evaluate them again from the next period."""
    if not reason.strip():
        raise PatronError(ErrorCode.VALIDATION_ERROR, "a reason is required", field="reason")
    now = clock.now()
    with transaction.atomic():
        o = (
            TierOverride.objects.select_for_update()
            .select_related("member", "tier")
            .get(pk=override.pk)
        )
        if o.status != OverrideStatus.APPROVED:
            raise PatronError(
                ErrorCode.INVALID_TRANSITION, f"the override is {o.status}", field="status"
            )
        member = o.member
        member_lock(member)
        program = selectors.program_of(member.shop_id)
        tiers = selectors.active_tiers(member.shop_id)
        value = selectors.qualifying_value(member, program)
        earned = [t for t in tiers if t.entry_threshold <= value][-1]
        state = MemberTier.objects.select_for_update().get(member=member)
        previous = state.tier
        state.override = None
        state.grace_until = None
        state.updated_at = now
        if earned.pk != previous.pk:
            state.tier = earned
            state.since = now
            state.protected_until = (
                periods.period_end(clock.today(), program.period, periods_later=1)
                if earned.rank > previous.rank
                else None
            )
            TierChange.objects.create(
                shop_id=member.shop_id,
                member=member,
                from_tier=previous,
                to_tier=earned,
                direction=1 if earned.rank > previous.rank else -1,
                at=now,
                cause=TierChangeCause.OVERRIDE_REMOVED,
                measure=program.qualifying_measure,
                value=value,
                threshold=earned.entry_threshold,
                override=o,
                actor=actor,
                note=reason[:200],
            )
        state.save()
        o.status = OverrideStatus.REMOVED
        o.removed_by = actor
        o.removed_at = now
        o.removal_reason = reason
        o.save()
        audit_record(
            actor=actor,
            action="tier_override.remove",
            obj=o,
            before={"tier": previous.code},
            after={**_override_after(o), "tier_now": earned.code},
            reason=reason,
        )
    return o
