"""Cart evaluation: member price, coupons (each with why or why not), the best
combination, points as cash, and the amounts on every line. Reads only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.core.money import Rounding, allocate, divide
from patron.members.models import Member
from patron.points.services import cash as points_cash
from patron.promotions import codes, engine, reasons, tiering
from patron.promotions.models import Coupon, CouponStatus
from patron.promotions.reasons import Reason

MAX_LINES = 500
MAX_CODES = 20


@dataclass(frozen=True)
class CartIn:
    lines: Sequence[engine.CartLine]
    shipping_fee: int = 0
    coupon_codes: Sequence[str] | None = None  # None: use the best combination
    points: int = 0


@dataclass
class CouponView:
    coupon: Coupon | None
    code: str
    offer: engine.Offer | None = None
    reason: Reason | None = None  # why it cannot be used on this cart at all
    selection_reason: Reason | None = None  # why it is left out of the wanted combination
    standalone: int = 0
    in_best: bool = False
    selected: bool = False
    discount: int = 0  # in the selected combination


@dataclass
class Evaluation:
    member: Member
    tier: tiering.TierView
    currency: str
    cart: CartIn
    member_discounts: list[int]
    coupons: list[CouponView]
    best: list[str]
    best_value: int
    selected: list[engine.Applied]
    points: points_cash.Quote
    points_balance: int
    points_rate: points_cash.Rate
    points_reason: Reason | None
    line_points: list[int]
    line_points_value: list[int]
    line_to_pay: list[int]
    shipping_discount: int  # the tier's free shipping plus free-shipping coupons
    tier_shipping_discount: int = 0

    @property
    def items_amount(self) -> int:
        return sum(line.amount for line in self.cart.lines)

    @property
    def coupon_discount(self) -> int:
        return sum(sum(a.lines) for a in self.selected)

    @property
    def shipping_to_pay(self) -> int:
        return self.cart.shipping_fee - self.shipping_discount

    @property
    def total(self) -> int:
        return sum(self.line_to_pay) + self.shipping_to_pay

    def line_coupon_discounts(self) -> list[int]:
        return [sum(a.lines[i] for a in self.selected) for i in range(len(self.cart.lines))]

    def selected_codes(self) -> list[str]:
        return [a.key for a in self.selected]

    def answer(self) -> dict[str, Any]:
        coupon_by_line = self.line_coupon_discounts()
        lines = []
        for i, line in enumerate(self.cart.lines):
            lines.append(
                {
                    "line_id": line.line_id,
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "amount": line.amount,
                    "member_discount": self.member_discounts[i],
                    "coupon_discount": coupon_by_line[i],
                    "coupons": {a.key: a.lines[i] for a in self.selected if a.lines[i]},
                    "points": self.line_points[i],
                    "points_value": self.line_points_value[i],
                    "to_pay": self.line_to_pay[i],
                }
            )
        return {
            "member": self.member.external_id,
            "currency": self.currency,
            "tier": {"code": self.tier.code, "name": self.tier.name} if self.tier.code else None,
            "member_discount_bp": self.tier.discount_bp,
            "items_amount": self.items_amount,
            "member_price_amount": self.items_amount - sum(self.member_discounts),
            "coupons": [
                {
                    "code": view.code,
                    "name": view.coupon.template.name if view.coupon else "",
                    "type": view.coupon.template.type if view.coupon else "",
                    "valid_until": view.coupon.valid_until.isoformat() if view.coupon else None,
                    "applicable": view.reason is None,
                    "discount": view.standalone,
                    "reason": view.reason.as_dict() if view.reason else None,
                    "not_combined_reason": view.selection_reason.as_dict()
                    if view.selection_reason
                    else None,
                    "in_best": view.in_best,
                    "selected": view.selected,
                }
                for view in self.coupons
            ],
            "best_combination": {"codes": self.best, "discount": self.best_value},
            "selected_coupons": {
                "codes": self.selected_codes(),
                "discount": self.coupon_discount
                + self.shipping_discount
                - self.tier_shipping_discount,
            },
            "points": {
                "balance": self.points_balance,
                "rate": {"points": self.points_rate.points_per_yuan, "fen": 100},
                "max_usable": self.points.max_points,
                "max_value": self.points.max_value,
                "requested": self.cart.points,
                "used": self.points.used,
                "value": self.points.value,
                "reason": self.points_reason.as_dict() if self.points_reason else None,
            },
            "shipping": {
                "fee": self.cart.shipping_fee,
                "discount": self.shipping_discount,
                "member_free_shipping": self.tier_shipping_discount > 0,
                # The tier's priority shipping: the shop ships this order first.
                "priority_shipping": self.tier.priority_shipping,
                "to_pay": self.shipping_to_pay,
            },
            "lines": lines,
            "discounts": {
                "member_price": sum(self.member_discounts),
                "coupons": self.coupon_discount,
                "shipping": self.shipping_discount,
                "points_value": self.points.value,
            },
            "total": self.total,
        }


def _check_cart(cart: CartIn) -> None:
    if not cart.lines:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("a cart needs a line"), field="lines")
    if len(cart.lines) > MAX_LINES:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("at most %(MAX_LINES)s lines"), MAX_LINES=MAX_LINES),
            field="lines",
        )
    seen: set[str] = set()
    for i, line in enumerate(cart.lines):
        if line.line_id in seen:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(_("line_id %(line_id)s appears twice"), line_id=repr(line.line_id)),
                field=f"lines[{i}].line_id",
            )
        seen.add(line.line_id)
        if line.quantity <= 0:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR, _("must be positive"), field=f"lines[{i}].quantity"
            )
        if line.unit_price < 0:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                _("must not be negative"),
                field=f"lines[{i}].unit_price",
            )
    if cart.shipping_fee < 0:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, _("must not be negative"), field="shipping_fee"
        )
    if cart.points < 0:
        raise PatronError(ErrorCode.VALIDATION_ERROR, _("must not be negative"), field="points")
    if cart.coupon_codes is not None and len(cart.coupon_codes) > MAX_CODES:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("at most %(MAX_CODES)s codes"), MAX_CODES=MAX_CODES),
            field="coupon_codes",
        )


def offer_for(coupon: Coupon) -> engine.Offer:
    t = coupon.template
    return engine.Offer(
        key=coupon.code,
        kind=t.type,
        amount=t.amount,
        percent=t.percent,
        max_discount=t.max_discount,
        threshold=t.threshold,
        repeating=t.repeating,
        skus=frozenset(t.skus or ()),
        categories=frozenset(t.categories or ()),
        group=t.stacking_group or t.type,
        exclusive=t.exclusive,
        rank=(int(coupon.valid_until.timestamp()), coupon.pk or 0),
    )


def is_new_member(member: Member) -> bool:
    # Read-only look at the order mirror: a member with no paid order yet.
    from patron.orders.models import Order

    return not Order.objects.filter(member=member, paid_at__isnull=False).exists()


def coupon_refusal(
    coupon: Coupon,
    *,
    member: Member,
    tier: tiering.TierView,
    new_member: bool | None,
    hold_id: int | None = None,
) -> Reason | None:
    """Why this coupon cannot be used by ``member`` now, before looking at the cart."""
    now = clock.now()
    t = coupon.template
    if coupon.member_id != member.pk:
        return reasons.not_found()  # exactly as an unknown code: no hint it exists
    if coupon.status == CouponStatus.USED:
        return reasons.used()
    if coupon.status == CouponStatus.REVOKED:
        return reasons.revoked()
    if coupon.status == CouponStatus.HELD and coupon.hold_id != hold_id:
        return reasons.held()
    if not t.active:
        return reasons.inactive()
    if now >= coupon.valid_until:
        return reasons.expired(coupon.valid_until)
    if now < coupon.valid_from:
        return reasons.not_started(coupon.valid_from)
    if t.tier_codes and tier.code not in t.tier_codes:
        return reasons.tier(tiering.tier_names(coupon.shop_id, list(t.tier_codes)))
    if t.new_members_only and not (is_new_member(member) if new_member is None else new_member):
        return reasons.new_members_only()
    return None


def _shortfall_reason(short: engine.Shortfall, currency: str) -> Reason:
    if short.reason == "scope":
        return reasons.scope()
    if short.reason == "threshold":
        return reasons.threshold(short.base, short.needed, currency)
    if short.reason == "no_shipping":
        return reasons.no_shipping()
    return reasons.nothing_left()


def member_coupons_for_checkout(
    *, member: Member, wanted: Sequence[str] | None, hold_id: int | None = None
) -> tuple[list[Coupon], list[str]]:
    """The member's usable coupons and any wanted codes; plus wanted codes not found."""
    now = clock.now()
    normalized = [codes.normalize(c) for c in (wanted or ())]
    query = Q(member=member, status=CouponStatus.AVAILABLE, valid_until__gt=now)
    if hold_id is not None:
        query |= Q(member=member, hold_id=hold_id, status=CouponStatus.HELD)
    if normalized:
        # Only the member's own coupons: another member's code is reported as
        # unknown, so evaluating a cart reveals nothing about coupons not theirs.
        query |= Q(code__in=normalized, member=member)
    coupons = list(
        Coupon.objects.filter(query).select_related("template").order_by("valid_until", "pk")
    )
    found = {c.code for c in coupons}
    missing = [c for c in normalized if c not in found]
    return coupons, missing


def checkout_evaluate(
    *, shop: Shop, member: Member, cart: CartIn, hold_id: int | None = None
) -> Evaluation:
    """Price ``cart`` for ``member``; writes nothing.

    ``hold_id`` lets a hold's own coupons count as usable (re-evaluating it).
    """
    _check_cart(cart)
    tier = tiering.member_tier(member)
    lines = list(cart.lines)
    member_discounts = [
        divide(line.amount * tier.discount_bp, 10_000, Rounding.DOWN) for line in lines
    ]
    goods = [line.amount - d for line, d in zip(lines, member_discounts, strict=True)]
    # The tier's free shipping comes with the member price, before any coupon.
    tier_shipping = (
        cart.shipping_fee
        if tier.free_shipping_threshold is not None and sum(goods) >= tier.free_shipping_threshold
        else 0
    )
    start = engine.State(goods, cart.shipping_fee - tier_shipping)

    coupons, missing = member_coupons_for_checkout(
        member=member, wanted=cart.coupon_codes, hold_id=hold_id
    )
    need_new = any(c.template.new_members_only for c in coupons)
    new_member = is_new_member(member) if need_new else None
    views: list[CouponView] = []
    offers: list[engine.Offer] = []
    by_key: dict[str, CouponView] = {}
    for coupon in coupons:
        view = CouponView(coupon=coupon, code=coupon.code)
        view.reason = coupon_refusal(
            coupon, member=member, tier=tier, new_member=new_member, hold_id=hold_id
        )
        if view.reason is None:
            offer = offer_for(coupon)
            alone = engine.discount_for(offer, lines, start.copy())
            if isinstance(alone, engine.Shortfall):
                view.reason = _shortfall_reason(alone, shop.currency)
            else:
                view.standalone = alone.total
                t = coupon.template
                if t.budget and t.budget - t.budget_used < alone.total:
                    view.reason = reasons.budget()
                else:
                    view.offer = offer
                    offers.append(offer)
        views.append(view)
        by_key[coupon.code] = view
    for code in missing:
        view = CouponView(coupon=None, code=code, reason=reasons.not_found())
        views.append(view)
        by_key[code] = view

    best, best_value = engine.best_combination(offers, lines, start)
    for offer in best:
        by_key[offer.key].in_best = True

    rate = points_cash.rate_for(shop=shop, tier_code=tier.code)
    balance = points_cash.points_balance(member=member)
    if cart.coupon_codes is None:
        chosen = best
        if best and cart.points and rate.enabled and not rate.combine_with_coupons:
            # Points and coupons do not combine here: the points the member
            # asked for win over the best coupons when they take off more.
            points_only = points_cash.quote(
                rate=rate, payable=sum(start.lines), balance=balance, wanted=cart.points
            )
            if points_only.value > best_value:
                chosen = []
    else:
        chosen = _wanted_combination(cart.coupon_codes, by_key, lines, start, shop.currency)
    outcome = engine.run(chosen, lines, start)
    for applied in outcome.applied:
        view = by_key[applied.key]
        view.selected = True
        view.discount = applied.total
    shipping_discount = tier_shipping + sum(a.shipping for a in outcome.applied)

    goods_left = sum(outcome.state.lines)
    points_reason: Reason | None = None
    if not rate.enabled:
        quote = points_cash.Quote(0, 0, 0, 0)
        if cart.points:
            points_reason = reasons.points_disabled()
    elif outcome.applied and not rate.combine_with_coupons:
        quote = points_cash.Quote(0, 0, 0, 0)
        if cart.points:
            points_reason = reasons.points_not_with_coupons()
    else:
        quote = points_cash.quote(
            rate=rate, payable=goods_left, balance=balance, wanted=cart.points
        )
        if cart.points and quote.used < cart.points:
            if quote.max_points == 0 and rate.min_points:
                points_reason = reasons.points_below_minimum(rate.min_points)
            elif quote.used == rate.trim(cart.points):
                # Only the rate's rounding: the extra points would buy nothing.
                points_reason = reasons.points_trimmed(cart.points, quote.used)
            else:
                points_reason = reasons.points_capped(quote.max_points)
    weights = list(outcome.state.lines)
    line_points = allocate(quote.used, weights)
    line_value = allocate(quote.value, weights)
    to_pay = [left - v for left, v in zip(weights, line_value, strict=True)]
    return Evaluation(
        member=member,
        tier=tier,
        currency=shop.currency,
        cart=cart,
        member_discounts=member_discounts,
        coupons=views,
        best=[o.key for o in best],
        best_value=best_value,
        selected=outcome.applied,
        points=quote,
        points_balance=balance,
        points_rate=rate,
        points_reason=points_reason,
        line_points=line_points,
        line_points_value=line_value,
        line_to_pay=to_pay,
        shipping_discount=shipping_discount,
        tier_shipping_discount=tier_shipping,
    )


def _wanted_combination(
    wanted: Sequence[str],
    by_key: dict[str, CouponView],
    lines: list[engine.CartLine],
    start: engine.State,
    currency: str,
) -> list[engine.Offer]:
    """The wanted coupons that can be used together, in the order asked for.

    A coupon that conflicts with one asked for earlier, or that takes nothing
    once the others apply, is left out and says why.
    """
    chosen: list[engine.Offer] = []
    for raw in wanted:
        view = by_key.get(codes.normalize(raw))
        if view is None or view.offer is None or view.offer in chosen:
            continue
        conflict = engine.stacking_conflict([*chosen, view.offer])
        if conflict is not None:
            other = conflict[0] if conflict[1] is view.offer else conflict[1]
            other_view = by_key[other.key]
            name = other_view.coupon.template.name if other_view.coupon else other.key
            view.selection_reason = reasons.not_combinable(name)
            continue
        chosen.append(view.offer)
    while True:
        outcome = engine.run(chosen, lines, start)
        if not outcome.failed:
            return chosen
        for key, short in outcome.failed.items():
            by_key[key].selection_reason = _shortfall_reason(short, currency)
        chosen = [o for o in chosen if o.key not in outcome.failed]
