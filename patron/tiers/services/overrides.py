"""Manual tier overrides: requested with a reason, approved by another
operator, audited, and sticky until an operator removes them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.members.models import Member
from patron.members.services import member_lock
from patron.tiers import periods, selectors
from patron.tiers.listeners import tier_changes_announce
from patron.tiers.models import (
    MemberTier,
    OverrideStatus,
    Tier,
    TierChange,
    TierChangeCause,
    TierOverride,
)
from patron.tiers.services.locks import member_tier_lock


def _override_after(o: TierOverride) -> dict[str, object]:
    return {
        "member": o.member.external_id,
        "tier": o.tier.code,
        "status": o.status,
        "requested_by": o.requested_by.get_username(),
        "decided_by": o.decided_by.get_username() if o.decided_by else None,
    }


def override_request_problem(
    *, member: Member, tier: Tier | None, reason: str | None
) -> PatronError | None:
    """What is wrong with this override request (naming the field), or None:
    a reason is required, the tier must be an active tier of the member's shop
    other than the one they are in, and the member may have only one override
    pending or in force. The admin
    form shows the same checks as form errors; ``override_request`` raises them."""
    if not (reason or "").strip():
        return PatronError(ErrorCode.VALIDATION_ERROR, _("a reason is required"), field="reason")
    if tier is None or tier.shop_id != member.shop_id or not tier.is_active:
        return PatronError(
            ErrorCode.VALIDATION_ERROR, _("not an active tier of this shop"), field="tier"
        )
    if TierOverride.objects.filter(
        member=member, status__in=[OverrideStatus.PENDING, OverrideStatus.APPROVED]
    ).exists():
        return _already_open()
    current = selectors.current_tier(member)
    if current is not None and current.pk == tier.pk:
        return PatronError(
            ErrorCode.ALREADY_IN_TIER,
            lazy_format(_("the member is already in the tier %(code)s"), code=repr(tier.code)),
            field="tier",
        )
    return None


def _already_open() -> PatronError:
    return PatronError(
        ErrorCode.OVERRIDE_OPEN,
        _("this member already has an override pending or in force"),
        field="member",
    )


def override_request(*, member: Member, tier: Tier, reason: str, actor: User) -> TierOverride:
    require_perm(
        actor, "tiers.add_tieroverride", shop=member.shop_id, what="request tier overrides"
    )
    problem = override_request_problem(member=member, tier=tier, reason=reason)
    if problem is not None:
        raise problem
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
        # A request for the same member committed between the check and the insert.
        raise _already_open() from None
    return override


def _locked_pending(override: TierOverride, actor: User) -> TierOverride:
    locked = (
        TierOverride.objects.select_for_update()
        .select_related("member", "tier", "requested_by")
        .get(pk=override.pk)
    )
    require_perm(
        actor, "tiers.approve_tieroverride", shop=locked.shop_id, what="decide tier overrides"
    )
    if locked.status != OverrideStatus.PENDING:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(_("the override is %(status)s"), status=locked.status),
            field="status",
        )
    return locked


def override_approve(*, override: TierOverride, actor: User, note: str = "") -> TierOverride:
    """Put the override in force. Only an operator other than the requester may."""
    now = clock.now()
    with transaction.atomic():
        o = _locked_pending(override, actor)
        if o.requested_by_id == actor.pk:
            raise PatronError(
                ErrorCode.FORBIDDEN,
                _("a second operator must approve; you cannot approve your own request"),
                status=403,
            )
        member = o.member
        member_lock(member)
        # The tier may have been retired (or changed) since the request.
        tier = Tier.objects.select_for_update().get(pk=o.tier_id)
        if not tier.is_active or tier.shop_id != member.shop_id:
            raise PatronError(
                ErrorCode.INACTIVE,
                lazy_format(
                    _(
                        "tier %(code)s is no longer an active tier of this shop; reject this "
                        "override and request another tier"
                    ),
                    code=repr(tier.code),
                ),
                field="tier",
            )
        program = selectors.tier_program_get(member.shop_id)
        tiers = selectors.active_tiers(member.shop_id)
        state = member_tier_lock(member)
        before = state.tier if state else tiers[0]
        value = selectors.qualifying_value(member, program)
        if state is None:
            state = MemberTier(member=member, shop_id=member.shop_id)
        state.tier = o.tier
        state.override = o
        state.since = now
        # protected_until and grace_until are left as they were: they belong to
        # the tier the member earned, which they return to when the override is
        # removed. Jobs skip overridden members and the API shows no end date.
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
        tier_changes_announce(member.shop_id, [member.pk])
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
        o = _locked_pending(override, actor)
        o.status = OverrideStatus.REJECTED
        o.decided_by = actor
        o.decided_at = clock.now()
        o.decision_note = note
        o.save()
        audit_record(
            actor=actor, action="tier_override.reject", obj=o, after=_override_after(o), reason=note
        )
    return o


def _earned_before(o: TierOverride, tiers: list[Tier]) -> Tier:
    """The tier the member held when the override was approved (its history
    row says), or, if that tier has been retired since, the active tier a
    retirement moves its members to (next below, or the lowest)."""
    change = (
        TierChange.objects.filter(override=o, cause=TierChangeCause.OVERRIDE)
        .select_related("from_tier")
        .order_by("at", "pk")
        .first()
    )
    held = change.from_tier if change is not None else None
    if held is None:
        return tiers[0]
    active = {t.pk: t for t in tiers}
    if held.pk in active:
        return active[held.pk]
    below = [t for t in tiers if t.rank < held.rank]
    return below[-1] if below else tiers[0]


def override_remove(*, override: TierOverride, actor: User, reason: str) -> TierOverride:
    """End an override: the member returns to the tier they earned, by the
    rules the period evaluation uses.

    That is the tier they held before the override, or the higher tier whose
    entry threshold their value reaches now (an upgrade, protected like one
    made by an event). Never lower: the protection and grace they had before
    the override are kept, and a member whose value is now below the
    retention threshold is handled by the next period evaluation (grace, then
    downgrade), like everybody else."""
    if not reason.strip():
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("a reason is required"), field="reason")
    now = clock.now()
    with transaction.atomic():
        o = (
            TierOverride.objects.select_for_update()
            .select_related("member", "tier")
            .get(pk=override.pk)
        )
        require_perm(
            actor, "tiers.approve_tieroverride", shop=o.shop_id, what="remove tier overrides"
        )
        if o.status != OverrideStatus.APPROVED:
            raise PatronError(
                ErrorCode.INVALID_TRANSITION,
                lazy_format(_("the override is %(status)s"), status=o.status),
                field="status",
            )
        member = o.member
        member_lock(member)
        program = selectors.tier_program_get(member.shop_id)
        tiers = selectors.active_tiers(member.shop_id)
        value = selectors.qualifying_value(member, program)
        held = _earned_before(o, tiers)
        reached = [t for t in tiers if t.entry_threshold <= value][-1]
        upgraded = reached.rank > held.rank
        earned = reached if upgraded else held
        state = member_tier_lock(member)
        if state is None:  # pragma: no cover - an approved override placed the member
            raise MemberTier.DoesNotExist
        previous = state.tier
        state.override = None
        state.updated_at = now
        if upgraded:
            state.protected_until = periods.period_end(
                clock.today(), program.period, periods_later=1
            )
            state.grace_until = None
        if earned.pk != previous.pk:
            state.tier = earned
            state.since = now
            TierChange.objects.create(
                shop_id=member.shop_id,
                member=member,
                from_tier=previous,
                to_tier=earned,
                direction=(earned.rank > previous.rank) - (earned.rank < previous.rank),
                at=now,
                cause=TierChangeCause.OVERRIDE_REMOVED,
                measure=program.qualifying_measure,
                value=value,
                threshold=earned.entry_threshold if upgraded else earned.retention_threshold,
                override=o,
                actor=actor,
                note=reason[:200],
            )
            tier_changes_announce(member.shop_id, [member.pk])
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
