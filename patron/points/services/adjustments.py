"""Manual adjustments: an operator grants or deducts points, with a reason.

Up to the programme's threshold an adjustment applies at once; above it, it
waits for a second operator who holds ``points.approve_adjustment`` and is not
the requester. Every step lands in the audit log; the member sees the reason
in their history.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.members.models import Member
from patron.points import messages, selectors
from patron.points.models import AdjustmentState, EntryKind, PointsAdjustment
from patron.points.services.ledger import (
    Refs,
    account_lock,
    do_credit,
    do_debit,
    expiry_for,
    points_program_get,
)

MAX_ADJUSTMENT = 10_000_000


def _apply(adjustment: PointsAdjustment, *, approver: User | None) -> None:
    member = adjustment.member
    account = account_lock(member=member)
    refs = Refs(
        reason_code="adjust",
        reason_params={"note": adjustment.reason, "adjustment_id": adjustment.pk},
        operator=adjustment.requested_by,
        idempotency_key=f"adjustment:{adjustment.pk}",
    )
    if adjustment.points > 0:
        entry, _lot = do_credit(
            account,
            points=adjustment.points,
            kind=EntryKind.ADJUST,
            expires_at=expiry_for(points_program_get(member.shop), clock.now()),
            refs=refs,
        )
    else:
        entry = do_debit(account, points=-adjustment.points, kind=EntryKind.ADJUST, refs=refs)
    adjustment.entry = entry
    adjustment.state = AdjustmentState.APPLIED
    if approver is not None:
        adjustment.decided_by = approver
        adjustment.decided_at = clock.now()
    adjustment.save(update_fields=["entry", "state", "decided_by", "decided_at"])
    messages.adjustment_notify(adjustment, balance=int(account.available))


def adjustment_problem(*, member: Member, points: Any, reason: str | None) -> PatronError | None:
    """What is wrong with this adjustment request (naming the field), or None:
    a reason is required; points must be a non-zero whole number within
    ±MAX_ADJUSTMENT; a deduction that applies at once (not above the
    approval threshold) cannot exceed what is available now; a larger one is
    checked when approved. The admin form shows the same checks as form
    errors."""
    if not (reason or "").strip():
        return PatronError(ErrorCode.VALIDATION_ERROR, _("a reason is required"), field="reason")
    if (
        not isinstance(points, int)
        or isinstance(points, bool)
        or points == 0
        or abs(points) > MAX_ADJUSTMENT
    ):
        return PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("points must be a non-zero whole number up to ±%(MAX_ADJUSTMENT)s"),
                MAX_ADJUSTMENT=format(MAX_ADJUSTMENT, ","),
            ),
            field="points",
        )
    if points < 0 and -points <= points_program_get(member.shop).approval_threshold:
        account = selectors.account_get(member=member)
        available = account.available if account else 0
        if available < -points:
            return PatronError(
                ErrorCode.INSUFFICIENT_POINTS,
                lazy_format(
                    _("only %(available)s points available to deduct"), available=available
                ),
                field="points",
            )
    return None


def adjustment_request(
    *, member: Member, points: int, reason: str, actor: User
) -> PointsAdjustment:
    """Record an adjustment; apply it now unless it is above the approval threshold."""
    require_perm(actor, "points.adjust_points", shop=member.shop_id, what="adjust points")
    problem = adjustment_problem(member=member, points=points, reason=reason)
    if problem is not None:
        raise problem
    reason = reason.strip()
    program = points_program_get(member.shop)
    needs_approval = abs(points) > program.approval_threshold
    with transaction.atomic():
        adjustment = PointsAdjustment.objects.create(
            member=member,
            points=points,
            reason=reason[:500],
            state=AdjustmentState.AWAITING_APPROVAL if needs_approval else AdjustmentState.APPLIED,
            requested_by=actor,
            requested_at=clock.now(),
        )
        if not needs_approval:
            _apply(adjustment, approver=None)
        audit_record(
            actor=actor,
            action="points_adjustment.apply" if not needs_approval else "points_adjustment.request",
            obj=adjustment,
            after={"member": member.external_id, "points": points, "state": adjustment.state},
            reason=reason,
        )
    return adjustment


def _decide(adjustment: PointsAdjustment, actor: User) -> PointsAdjustment:
    locked = (
        PointsAdjustment.objects.select_for_update()
        .select_related("member__shop")
        .get(pk=adjustment.pk)
    )
    require_perm(
        actor, "points.approve_adjustment", shop=locked.member.shop_id, what="approve adjustments"
    )
    if locked.state != AdjustmentState.AWAITING_APPROVAL:
        raise PatronError(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(_("this adjustment is already %(state)s"), state=locked.state),
        )
    if locked.requested_by_id == actor.pk:
        raise PatronError(
            ErrorCode.FORBIDDEN, _("a second operator must decide on your own request"), status=403
        )
    return locked


def adjustment_approve(*, adjustment: PointsAdjustment, actor: User) -> PointsAdjustment:
    with transaction.atomic():
        locked = _decide(adjustment, actor)
        _apply(locked, approver=actor)
        audit_record(
            actor=actor,
            action="points_adjustment.approve",
            obj=locked,
            after={"member": locked.member.external_id, "points": locked.points},
            reason=locked.reason,
        )
    return locked


def adjustment_reject(
    *, adjustment: PointsAdjustment, actor: User, note: str = ""
) -> PointsAdjustment:
    with transaction.atomic():
        locked = _decide(adjustment, actor)
        locked.state = AdjustmentState.REJECTED
        locked.decided_by = actor
        locked.decided_at = clock.now()
        locked.save(update_fields=["state", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            action="points_adjustment.reject",
            obj=locked,
            reason=note or locked.reason,
        )
    return locked
