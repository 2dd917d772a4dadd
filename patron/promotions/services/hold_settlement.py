"""Settling checkout holds: ``order.paid`` captures, ``order.cancelled`` and
the time-out release (``holds_expire``, the sweep), ``order.refunded`` gives
back the refunded lines' points (and the coupons once the whole order is
refunded); coupons used on an order that was never reserved. The reserve is in
``holds``, which re-exports these names; the lock order is in its docstring.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.services import cash as points_cash
from patron.promotions import codes
from patron.promotions.models import (
    CheckoutHold,
    CheckoutHoldLine,
    Coupon,
    CouponStatus,
    CouponTemplate,
    HoldStatus,
)

LIVE = (HoldStatus.HELD, HoldStatus.CAPTURED)


def live_hold(shop: Shop, order_id: str) -> CheckoutHold | None:
    return (
        CheckoutHold.objects.select_for_update()
        .filter(shop=shop, order_id=order_id, status__in=LIVE)
        .first()
    )


def timed_out(hold: CheckoutHold, now: dt.datetime) -> bool:
    """Held and past ``expires_at``: what ``holds_expire`` would release."""
    return hold.status == HoldStatus.HELD and hold.expires_at <= now


def orders_with_holds(shop: Shop, order_ids: list[str]) -> set[str]:
    """Which of these order ids have a checkout hold (of any status)."""
    rows = CheckoutHold.objects.filter(shop=shop, order_id__in=order_ids)
    return set(rows.values_list("order_id", flat=True))


def _latest_hold(shop: Shop, order_id: str) -> CheckoutHold | None:
    return (
        CheckoutHold.objects.select_for_update()
        .filter(shop=shop, order_id=order_id)
        .order_by("-created_at", "-pk")
        .first()
    )


def _refuse_other_member(hold: CheckoutHold, member: Member, order_id: str) -> None:
    if hold.member_id != member.pk:
        raise PatronError(
            ErrorCode.NOT_YOURS,
            lazy_format(
                _("order %(order_id)s was reserved for another member"), order_id=repr(order_id)
            ),
            field="member",
        )


def hold_capture(
    *, shop: Shop, order_id: str, order_pk: int, member: Member, points_used: int
) -> CheckoutHold | None:
    """The order was paid: its coupons become used and its held points spent.

    Returns None when the order has no hold (the shop did not reserve). A hold
    that expired or was released cannot be captured: the paid event is refused
    so the shop learns that the price it charged is no longer backed.
    """
    hold = _latest_hold(shop, order_id)
    if hold is None:
        return None
    now = clock.now()
    if hold.status == HoldStatus.CAPTURED:
        return hold
    if hold.status != HoldStatus.HELD or hold.expires_at <= now:
        raise PatronError(
            ErrorCode.HOLD_EXPIRED,
            lazy_format(
                _(
                    "the hold for order %(order_id)s expired or was released (%(value)s); "
                    "reserve the checkout again"
                ),
                order_id=repr(order_id),
                value=hold.expires_at.isoformat(),
            ),
            field="data.order_id",
        )
    _refuse_other_member(hold, member, order_id)
    if points_used and points_used != hold.points:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _(
                    "points_used %(points_used)s differs from the %(points)s points held "
                    "for this order"
                ),
                points_used=points_used,
                points=hold.points,
            ),
            field="data.points_used",
        )
    coupons = list(hold.coupons.select_for_update().order_by("pk"))
    for coupon in coupons:
        Coupon.objects.filter(pk=coupon.pk, status=CouponStatus.HELD, hold=hold).update(
            status=CouponStatus.USED, used_at=now, used_order_id=order_id
        )
    _count_used(coupons, 1)
    if hold.points:
        points_cash.points_capture(
            member=member,
            hold_entry_id=int(hold.points_ref),
            order_pk=order_pk,
            hold_key=str(hold.pk),
        )
    hold.status = HoldStatus.CAPTURED
    hold.captured_at = now
    hold.save(update_fields=["status", "captured_at"])
    return hold


def coupons_use_unreserved(
    *, shop: Shop, member: Member, order_id: str, raw_codes: list[str]
) -> tuple[list[str], list[dict[str, str]]]:
    """order.paid named coupon codes but nothing was reserved (the shop priced
    the order itself): the member's coupons among them that are available and
    valid now become used on this order, so they cannot be used again; those
    that cannot be used are named with why (another member's reads as
    ``not_usable`` and reveals nothing). Codes Patron never issued are the
    shop's own and are left alone. Budgets are only spent through a reserve,
    which knows each coupon's discount. Returns (used codes, refused)."""
    wanted = sorted({codes.normalize(c) for c in raw_codes if c})
    if not wanted:
        return [], []
    now = clock.now()
    found = list(
        Coupon.objects.select_for_update(of=("self",))
        .filter(shop=shop, code__in=wanted)
        .order_by("pk")
    )
    usable = [
        c
        for c in found
        if c.member_id == member.pk
        and c.status == CouponStatus.AVAILABLE
        and c.valid_from <= now < c.valid_until
    ]
    refused = [
        {"code": c.code, "reason": _unusable(c, member, now)} for c in found if c not in usable
    ]
    taken = [
        c
        for c in usable
        if Coupon.objects.filter(pk=c.pk, status=CouponStatus.AVAILABLE).update(
            status=CouponStatus.USED, used_at=now, used_order_id=order_id
        )
    ]
    _count_used(taken, 1)
    return [c.code for c in taken], refused


def _unusable(coupon: Coupon, member: Member, now: dt.datetime) -> str:
    if coupon.member_id != member.pk:
        return "not_usable"  # someone else's: say nothing more
    if coupon.status != CouponStatus.AVAILABLE:
        return str(coupon.status)  # held for another order, used or revoked
    return "not_valid_now"


def coupons_return_unreserved(*, shop: Shop, member_id: int, order_id: str) -> list[str]:
    """The order whose coupons were used without a reserve was cancelled or
    fully refunded: they are the member's to use again (as a hold's are)."""
    coupons = list(
        Coupon.objects.select_for_update(of=("self",))
        .filter(
            shop=shop,
            member_id=member_id,
            used_order_id=order_id,
            hold__isnull=True,
            status=CouponStatus.USED,
        )
        .order_by("pk")
    )
    if not coupons:
        return []
    Coupon.objects.filter(pk__in=[c.pk for c in coupons]).update(
        status=CouponStatus.AVAILABLE, used_at=None, used_order_id=""
    )
    _count_used(coupons, -1)
    return [c.code for c in coupons]


def _count_used(coupons: list[Coupon], sign: int) -> None:
    """Add (1) or take back (-1) these coupons in their templates' used counts,
    template rows in id order."""
    per_template = Counter(c.template_id for c in coupons)
    for template_id in sorted(per_template):
        CouponTemplate.objects.filter(pk=template_id).update(
            used_count=F("used_count") + sign * per_template[template_id]
        )


def _return_coupons(hold: CheckoutHold, *, from_status: str) -> list[str]:
    """Give the hold's coupons back to the member (held or used → available)."""
    coupons = list(
        hold.coupons.select_for_update(of=("self",))
        .filter(status=from_status)
        .select_related("template")
        .order_by("pk")
    )
    if not coupons:
        return []
    Coupon.objects.filter(pk__in=[c.pk for c in coupons]).update(
        status=CouponStatus.AVAILABLE,
        hold=None,
        discount_amount=0,
        used_at=None,
        used_order_id="",
    )
    budgets: dict[int, int] = defaultdict(int)
    counts: dict[int, int] = defaultdict(int)
    for c in coupons:
        budgets[c.template_id] += c.discount_amount if c.template.budget else 0
        counts[c.template_id] += 1
    for template_id in sorted(counts):
        changes = {}
        if budgets[template_id]:
            changes["budget_used"] = F("budget_used") - budgets[template_id]
        if from_status == CouponStatus.USED:
            changes["used_count"] = F("used_count") - counts[template_id]
        if changes:
            CouponTemplate.objects.filter(pk=template_id).update(**changes)
    return [c.code for c in coupons]


def _return_points(hold: CheckoutHold, points: int, reason_code: str, order_pk: int | None) -> int:
    if points <= 0 or not hold.points_ref:
        return 0
    points_cash.points_release(
        member=hold.member,
        hold_entry_id=int(hold.points_ref),
        points=points,
        already_returned=hold.points_returned,
        reason_code=reason_code,
        key=f"{hold.pk}:{hold.points_returned}",
        order_pk=order_pk,
    )
    hold.points_returned += points
    return points


def hold_release(*, hold: CheckoutHold, expired: bool = False) -> CheckoutHold:
    """Release an unpaid hold (order cancelled, or timed out). Caller locked it."""
    if hold.status != HoldStatus.HELD:
        return hold
    _return_coupons(hold, from_status=CouponStatus.HELD)
    _return_points(
        hold,
        hold.points - hold.points_returned,
        "hold_expired" if expired else "hold_released",
        None,
    )
    hold.status = HoldStatus.EXPIRED if expired else HoldStatus.RELEASED
    hold.released_at = clock.now()
    hold.save(update_fields=["status", "released_at", "points_returned"])
    return hold


def hold_release_unpaid(*, shop: Shop, order_id: str) -> CheckoutHold:
    """The shop abandoned an unpaid checkout (an order Patron never saw paid)."""
    with transaction.atomic():
        hold = live_hold(shop, order_id)
        if hold is None:
            raise PatronError(
                ErrorCode.NOT_FOUND,
                lazy_format(_("no live hold for order %(order_id)s"), order_id=repr(order_id)),
                field="order_id",
            )
        if hold.status != HoldStatus.HELD:
            raise PatronError(
                ErrorCode.INVALID_TRANSITION,
                lazy_format(
                    _(
                        "order %(order_id)s was paid; send order.cancelled or order.refunded "
                        "instead"
                    ),
                    order_id=repr(order_id),
                ),
                field="order_id",
            )
        return hold_release(hold=hold)


def hold_cancel_unpaid(*, shop: Shop, order_id: str, member: Member) -> CheckoutHold | None:
    """order.cancelled for an order Patron never saw paid: release its live
    hold if it has one (None: no hold held for it)."""
    hold = _latest_hold(shop, order_id)
    if hold is None or hold.status != HoldStatus.HELD:
        return None
    _refuse_other_member(hold, member, order_id)
    return hold_release(hold=hold)


def hold_on_order_cancelled(
    *, shop: Shop, order_id: str, order_pk: int | None
) -> CheckoutHold | None:
    """Cancelled before payment: release. Cancelled after payment: give everything back."""
    hold = _latest_hold(shop, order_id)
    if hold is None:
        return None
    if hold.status == HoldStatus.HELD:
        return hold_release(hold=hold)
    if hold.status == HoldStatus.CAPTURED:
        _return_coupons(hold, from_status=CouponStatus.USED)
        _return_points(hold, hold.points - hold.points_returned, "order_cancelled", order_pk)
        hold.status = HoldStatus.RELEASED
        hold.released_at = clock.now()
        hold.save(update_fields=["status", "released_at", "points_returned"])
    return hold


def hold_on_order_refunded(
    *, shop: Shop, order_id: str, order_pk: int, refunded: dict[str, tuple[int, int]], full: bool
) -> tuple[int, list[str]] | None:
    """Give back the points the refunded lines used; the coupons on a full refund.

    ``refunded`` maps line_id to (refunded quantity so far, line quantity). A
    line's points come back pro rata to its refunded quantity, rounded down,
    and all of them once the line is fully refunded, so several partial
    refunds add up to exactly what the line used. Returns (points, coupons).
    """
    hold = _latest_hold(shop, order_id)
    if hold is None or hold.status != HoldStatus.CAPTURED:
        return None
    give = 0
    changed: list[CheckoutHoldLine] = []
    for line in hold.lines.select_for_update().order_by("pk"):
        if line.line_id not in refunded or not line.points:
            continue
        done, quantity = refunded[line.line_id]
        target = line.points if done >= quantity else line.points * done // quantity
        if target > line.points_returned:
            give += target - line.points_returned
            line.points_returned = target
            changed.append(line)
    CheckoutHoldLine.objects.bulk_update(changed, ["points_returned"])
    returned_coupons: list[str] = []
    if full:
        give = hold.points - hold.points_returned  # everything, whatever the lines said
        returned_coupons = _return_coupons(hold, from_status=CouponStatus.USED)
    _return_points(hold, give, "order_refunded", order_pk)
    hold.save(update_fields=["points_returned"])
    return give, returned_coupons


def holds_expire(*, batch: int = 500) -> int:
    """Release every hold whose time ran out; returns how many. Safe to run twice at once."""
    now = clock.now()
    released = 0
    while True:
        with transaction.atomic():
            due = list(
                CheckoutHold.objects.select_for_update(skip_locked=True)
                .filter(status=HoldStatus.HELD, expires_at__lte=now)
                .select_related("member")
                .order_by("expires_at", "pk")[:batch]
            )
            for hold in due:
                hold_release(hold=hold, expired=True)
        released += len(due)
        if len(due) < batch:
            return released
