"""Checkout holds: coupons and points reserved for one shop order.

``checkout_reserve`` holds what the evaluation chose; the order's events then
settle it: ``order.paid`` captures, ``order.cancelled`` and the time-out
release, ``order.refunded`` gives back the refunded lines' points (and the
coupons once the whole order is refunded). The reserve is here; the
settlement and the sweep are in ``hold_settlement``, re-exported here.

Lock order: the hold row, then coupons by primary key, then coupon templates
(budget), then the member's points account.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import asdict

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, Text, by_language, lazy_format
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order
from patron.points.services import cash as points_cash
from patron.promotions import codes
from patron.promotions.checkout import CartIn, Evaluation, checkout_evaluate
from patron.promotions.models import (
    CheckoutHold,
    CheckoutHoldLine,
    Coupon,
    CouponStatus,
    CouponTemplate,
)
from patron.promotions.services.hold_settlement import (
    coupons_return_unreserved,
    coupons_use_unreserved,
    hold_cancel_unpaid,
    hold_capture,
    hold_on_order_cancelled,
    hold_on_order_refunded,
    hold_release,
    hold_release_unpaid,
    holds_expire,
    live_hold,
    orders_with_holds,
    timed_out,
)

__all__ = [
    "checkout_reserve",
    "coupons_return_unreserved",
    "coupons_use_unreserved",
    "hold_cancel_unpaid",
    "hold_capture",
    "hold_on_order_cancelled",
    "hold_on_order_refunded",
    "hold_release",
    "hold_release_unpaid",
    "holds_expire",
    "orders_with_holds",
]


def _request_hash(member: Member, cart: CartIn) -> str:
    body = {
        "member": member.pk,
        "lines": [asdict(line) for line in cart.lines],
        "shipping_fee": cart.shipping_fee,
        "coupon_codes": None
        if cart.coupon_codes is None
        else sorted(codes.normalize(c) for c in cart.coupon_codes),
        "points": cart.points,
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _refuse_unmet(evaluation: Evaluation, cart: CartIn) -> None:
    """A reservation holds exactly what was asked: a wanted coupon or points
    that cannot be used are refused with the member-facing reason."""
    if cart.coupon_codes is not None:
        selected = set(evaluation.selected_codes())
        views = {v.code: v for v in evaluation.coupons}
        for i, raw in enumerate(cart.coupon_codes):
            code = codes.normalize(raw)
            if code in selected:
                continue
            view = views.get(code)
            reason = (view.reason or view.selection_reason) if view else None
            message: Text = (
                by_language(reason.zh_hans, reason.en)
                if reason
                else _("this coupon cannot be used")
            )
            # The top-level code is the reason itself (held, expired, threshold, ...).
            raise PatronError(
                reason.code if reason else ErrorCode.NOT_FOUND,
                lazy_format(_("coupon %(code)s: %(message)s"), code=code, message=message),
                field=f"coupon_codes[{i}]",
                status=409,
                errors=[
                    {
                        "field": f"coupon_codes[{i}]",
                        "message": message,
                        **({"reason": reason.as_dict()} if reason else {}),
                    }
                ],
            )
    if cart.points != evaluation.points.used:
        reason = evaluation.points_reason
        points_message: Text = (
            by_language(reason.zh_hans, reason.en)
            if reason
            else lazy_format(_("at most %(points)s"), points=evaluation.points.max_points)
        )
        if cart.points > evaluation.points_balance:
            code = ErrorCode.INSUFFICIENT_POINTS
        else:
            code = reason.code if reason else ErrorCode.POINTS_CAPPED
        raise PatronError(
            code,
            lazy_format(
                _("%(points)s points cannot be used: %(message)s"),
                points=cart.points,
                message=points_message,
            ),
            field="points",
            errors=[
                {
                    "field": "points",
                    "message": points_message,
                    **({"reason": reason.as_dict()} if reason else {}),
                }
            ],
        )


def checkout_reserve(
    *, shop: Shop, member: Member, order_id: str, cart: CartIn
) -> tuple[CheckoutHold, bool]:
    """Hold coupons and points for ``order_id``; (hold, created).

    Idempotent per order id: the same request again returns the live hold; a
    different request for an order that already has a live hold is refused,
    and so is any request for an order already paid (a retried reserve after
    the payment would otherwise hold coupons and points for nothing).
    Coupons move ``available → held`` by a conditional update, so the same
    coupon on two orders at once holds for exactly one of them; points are
    debited from the account under its row lock, so the same points cannot be
    held twice.
    """
    if not order_id or len(order_id) > 64:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("1 to 64 characters"), field="order_id")
    digest = _request_hash(member, cart)
    now = clock.now()
    with transaction.atomic():
        existing = live_hold(shop, order_id)
        if existing is not None and timed_out(existing, now):
            # Past its time but not yet swept by ``holds_expire``: release it
            # now exactly as the sweep would, so a retry gets a fresh hold
            # instead of a dead one that ``order.paid`` would refuse.
            hold_release(hold=existing, expired=True)
            existing = None
        if existing is not None:
            return _same_or_conflict(existing, member, digest), False
        status = (
            Order.objects.filter(shop=shop, external_id=order_id)
            .values_list("status", flat=True)
            .first()
        )
        if status is not None:
            raise PatronError(
                ErrorCode.ORDER_PAID,
                lazy_format(
                    _(
                        "order %(order_id)s is already %(status)s: coupons and points are held "
                        "only for an order not yet paid"
                    ),
                    order_id=repr(order_id),
                    status=status,
                ),
                field="order_id",
            )
        evaluation = checkout_evaluate(shop=shop, member=member, cart=cart)
        _refuse_unmet(evaluation, cart)
        hold, created = insert_or_first(
            lambda: CheckoutHold.objects.create(
                shop=shop,
                member=member,
                order_id=order_id,
                request_hash=digest,
                items_amount=evaluation.items_amount,
                member_discount=sum(evaluation.member_discounts),
                coupon_discount=evaluation.coupon_discount,
                shipping_fee=cart.shipping_fee,
                shipping_discount=evaluation.shipping_discount,
                points=evaluation.points.used,
                points_value=evaluation.points.value,
                total=evaluation.total,
                answer=evaluation.answer(),
                created_at=now,
                expires_at=now + dt.timedelta(minutes=evaluation.points_rate.hold_minutes),
            ),
            # Another request for this order id won the race; answer as a retry.
            lambda: _live_hold_won(shop, order_id),
        )
        if not created:
            return _same_or_conflict(hold, member, digest), False
        _hold_coupons(hold, evaluation)
        if hold.points:
            entry_id = points_cash.points_hold(
                member=member, points=hold.points, order_id=order_id, hold_key=str(hold.pk)
            )
            hold.points_ref = str(entry_id)
            hold.save(update_fields=["points_ref"])
        coupon_by_line = evaluation.line_coupon_discounts()
        CheckoutHoldLine.objects.bulk_create(
            CheckoutHoldLine(
                hold=hold,
                line_id=line.line_id,
                sku=line.sku,
                quantity=line.quantity,
                amount=line.amount,
                member_discount=evaluation.member_discounts[i],
                coupon_discount=coupon_by_line[i],
                points=evaluation.line_points[i],
                points_value=evaluation.line_points_value[i],
                pay_amount=evaluation.line_to_pay[i],
            )
            for i, line in enumerate(cart.lines)
        )
    return hold, True


def _live_hold_won(shop: Shop, order_id: str) -> CheckoutHold:
    """The live hold the request that won the insert committed (called while
    its unique-constraint ``IntegrityError`` is being handled)."""
    existing = live_hold(shop, order_id)
    if existing is None:  # pragma: no cover - it committed, so it is there
        raise  # the IntegrityError of the insert, as before
    return existing


def _same_or_conflict(hold: CheckoutHold, member: Member, digest: str) -> CheckoutHold:
    if hold.member_id != member.pk or hold.request_hash != digest:
        raise PatronError(
            ErrorCode.HOLD_EXISTS,
            lazy_format(
                _("order %(order_id)s already has a %(status)s hold for a different cart"),
                order_id=repr(hold.order_id),
                status=hold.status,
            ),
            field="order_id",
        )
    return hold


def _taken_by(coupon_pk: int) -> ErrorCode:
    """Why a coupon the evaluation found usable could not be held a moment
    later: what another request did to it meanwhile."""
    status = Coupon.objects.filter(pk=coupon_pk).values_list("status", flat=True).first()
    codes_by_status: dict[str | None, ErrorCode] = {
        CouponStatus.HELD: ErrorCode.HELD,
        CouponStatus.USED: ErrorCode.USED,
        CouponStatus.REVOKED: ErrorCode.REVOKED,
    }
    return codes_by_status.get(status, ErrorCode.EXPIRED)


def _hold_coupons(hold: CheckoutHold, evaluation: Evaluation) -> None:
    now = clock.now()
    by_code = {v.code: v for v in evaluation.coupons}
    budgets: dict[int, int] = defaultdict(int)
    for applied in sorted(evaluation.selected, key=lambda a: by_code[a.key].coupon.pk):  # type: ignore[union-attr]
        coupon = by_code[applied.key].coupon
        assert coupon is not None
        taken = Coupon.objects.filter(
            pk=coupon.pk,
            member_id=hold.member_id,
            status=CouponStatus.AVAILABLE,
            valid_until__gt=now,
        ).update(status=CouponStatus.HELD, hold=hold, discount_amount=applied.total)
        if not taken:
            raise PatronError(
                _taken_by(coupon.pk),
                lazy_format(
                    _("coupon %(code)s is no longer available (used or held by another order)"),
                    code=coupon.code,
                ),
                field="coupon_codes",
            )
        if coupon.template.budget:
            budgets[coupon.template_id] += applied.total
    for template_id in sorted(budgets):
        amount = budgets[template_id]
        ok = CouponTemplate.objects.filter(
            pk=template_id, budget_used__lte=F("budget") - amount
        ).update(budget_used=F("budget_used") + amount)
        if not ok:
            raise PatronError(
                ErrorCode.BUDGET,
                _("a coupon's promotion has run out of budget"),
                field="coupon_codes",
            )
