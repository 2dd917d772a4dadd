"""Writes on the order mirror: paid, shipped, completed, cancelled, refunded.

Each function assumes it runs inside the event's transaction and locks the
order row it changes. Transitions the shop could not have made (shipping a
cancelled order, refunding more than was bought) are refused with a 409.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, Text, lazy_format
from patron.core.models import Shop
from patron.core.money import Rounding, allocate, divide
from patron.members.models import Member
from patron.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundLine,
)

S = OrderStatus
REFUNDABLE = {S.PAID, S.SHIPPED, S.COMPLETED, S.PARTIALLY_REFUNDED}
ALLOWED: dict[str, set[str]] = {
    S.SHIPPED: {S.PAID, S.PARTIALLY_REFUNDED},  # the rest of a partly refunded order ships
    S.COMPLETED: {S.PAID, S.SHIPPED, S.PARTIALLY_REFUNDED},
    S.CANCELLED: {S.CREATED, S.PAID},
}


@dataclass(frozen=True)
class LineInput:
    line_id: str
    sku: str
    quantity: int
    unit_price: int
    name: str = ""
    category: str = ""


@dataclass(frozen=True)
class PaidOrderInput:
    order_id: str
    lines: list[LineInput]
    paid_amount: int
    shipping_fee: int = 0
    discount_amount: int = 0
    points_used: int = 0
    points_amount: int = 0
    coupon_codes: list[str] = field(default_factory=list)
    currency: str = "CNY"
    placed_at: dt.datetime | None = None


@dataclass(frozen=True)
class RefundLineInput:
    line_id: str
    quantity: int


@dataclass
class RefundResult:
    refund: Refund
    lines: list[tuple[OrderLine, int, int]]  # (line, quantity refunded now, amount)
    full: bool


def _fail(code: ErrorCode, detail: Text, field: str) -> PatronError:
    return PatronError(code, detail, field=field)


def _set_status(order: Order, to: str, at: dt.datetime, event_id: str, note: str = "") -> None:
    OrderStatusChange.objects.create(
        order=order, from_status=order.status, to_status=to, at=at, event_id=event_id, note=note
    )
    order.status = to
    order.updated_at = clock.now()


def line_goods_shares(paid_amount: int, shipping_fee: int, line_amounts: list[int]) -> list[int]:
    """What was paid for each line: the paid amount less shipping, pro rata."""
    goods_paid = max(0, paid_amount - shipping_fee)
    return allocate(goods_paid, line_amounts)


def paid_order_problem(shop: Shop, data: PaidOrderInput) -> PatronError | None:
    """What is wrong with a paid order on its own (None: nothing), before any
    lookup: amounts that do not add up, another currency, repeated line ids."""
    items_amount = sum(line.quantity * line.unit_price for line in data.lines)
    if data.paid_amount > items_amount + data.shipping_fee:
        return _fail(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("paid_amount %(paid_amount)s exceeds lines plus shipping (%(value)s)"),
                paid_amount=data.paid_amount,
                value=items_amount + data.shipping_fee,
            ),
            "data.paid_amount",
        )
    if data.currency != shop.currency:
        return _fail(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("currency must be the shop's currency %(currency)s"), currency=shop.currency
            ),
            "data.currency",
        )
    ids = [line.line_id for line in data.lines]
    if len(set(ids)) != len(ids):
        return _fail(ErrorCode.VALIDATION_ERROR, _("line_id values must be unique"), "data.lines")
    return None


def paid_order_draft(
    shop: Shop, member: Member | None, data: PaidOrderInput, at: dt.datetime
) -> tuple[Order, list[OrderLine]]:
    """The order and lines ``order_record_paid`` would write, unsaved (the
    points preview works out its answer from them)."""
    order = _paid_order(shop, member, data, at, clock.now())
    return order, _paid_lines(order, data)


def _paid_order(
    shop: Shop, member: Member | None, data: PaidOrderInput, at: dt.datetime, now: dt.datetime
) -> Order:
    """The unsaved order row of a paid order (stored as paid at once; its
    history still records created -> paid)."""
    return Order(
        shop=shop,
        member=member,
        external_id=data.order_id,
        status=S.PAID,
        currency=data.currency,
        items_amount=sum(line.quantity * line.unit_price for line in data.lines),
        shipping_fee=data.shipping_fee,
        discount_amount=data.discount_amount,
        points_used=data.points_used,
        points_amount=data.points_amount,
        coupon_codes=list(data.coupon_codes),
        paid_amount=data.paid_amount,
        placed_at=data.placed_at or at,
        paid_at=at,
        updated_at=now,
    )


def _paid_lines(order: Order, data: PaidOrderInput) -> list[OrderLine]:
    """The unsaved lines of a paid order, each with its share of what was paid."""
    shares = line_goods_shares(
        data.paid_amount, data.shipping_fee, [ln.quantity * ln.unit_price for ln in data.lines]
    )
    return [
        OrderLine(
            order=order,
            line_id=ln.line_id,
            sku=ln.sku,
            name=ln.name,
            category=ln.category,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            paid_amount=share,
        )
        for ln, share in zip(data.lines, shares, strict=True)
    ]


def order_record_paid(
    *, shop: Shop, member: Member, data: PaidOrderInput, at: dt.datetime, event_id: str = ""
) -> Order:
    problem = paid_order_problem(shop, data)
    if problem is not None:
        raise problem
    existing = (
        Order.objects.select_for_update().filter(shop=shop, external_id=data.order_id).first()
    )
    if existing is not None:
        raise _fail(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(
                _("order %(order_id)s is already %(status)s"),
                order_id=repr(data.order_id),
                status=existing.status,
            ),
            "data.order_id",
        )
    order = _paid_order(shop, member, data, at, clock.now())
    try:
        with transaction.atomic():
            order.save(force_insert=True)
    except IntegrityError:
        raise _fail(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(_("order %(order_id)s already exists"), order_id=repr(data.order_id)),
            "data.order_id",
        ) from None
    lines = OrderLine.objects.bulk_create(_paid_lines(order, data))
    OrderStatusChange.objects.create(
        order=order, from_status=S.CREATED, to_status=S.PAID, at=at, event_id=event_id
    )
    _prefetched(order, lines)
    return order


@dataclass(frozen=True)
class PaidOrderRow:
    """One paid order of a set (``order_record_paid_many``)."""

    member: Member
    data: PaidOrderInput
    at: dt.datetime
    event_id: str


def order_record_paid_many(*, shop: Shop, rows: list[PaidOrderRow]) -> list[Order]:
    """``order_record_paid`` for many new orders at once, in the caller's
    transaction: three statements for all of them. The caller has checked
    each with ``paid_order_problem`` and that none exists yet; an order id
    taken meanwhile fails the whole set with IntegrityError."""
    now = clock.now()
    orders = Order.objects.bulk_create(
        [_paid_order(shop, r.member, r.data, r.at, now) for r in rows]
    )
    per_order = [_paid_lines(order, r.data) for order, r in zip(orders, rows, strict=True)]
    created = OrderLine.objects.bulk_create([ln for lines in per_order for ln in lines])
    OrderStatusChange.objects.bulk_create(
        OrderStatusChange(
            order=order, from_status=S.CREATED, to_status=S.PAID, at=r.at, event_id=r.event_id
        )
        for order, r in zip(orders, rows, strict=True)
    )
    start = 0
    for order, lines in zip(orders, per_order, strict=True):
        _prefetched(order, created[start : start + len(lines)])
        start += len(lines)
    return orders


def _prefetched(order: Order, lines: list[OrderLine]) -> None:
    """Seed ``order.lines.all()`` with the lines just written (pk order), as
    ``prefetch_related`` would, so later steps of the same event (points
    earning) get them without reading them back."""
    cached = OrderLine.objects.filter(order=order)
    cached._result_cache = lines
    setattr(cached, "_prefetch_done", True)  # noqa: B010 (Django's own prefetch attributes)
    setattr(order, "_prefetched_objects_cache", {"lines": cached})  # noqa: B010


def order_lock(*, shop: Shop, order_id: str, member: Member | None = None) -> Order:
    order = Order.objects.select_for_update().filter(shop=shop, external_id=order_id).first()
    if order is None:
        raise _fail(
            ErrorCode.UNKNOWN_ORDER,
            lazy_format(_("no order %(order_id)s"), order_id=repr(order_id)),
            "data.order_id",
        )
    if member is not None and order.member_id != member.pk:
        raise _fail(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("order %(order_id)s belongs to another member"), order_id=repr(order_id)),
            "member",
        )
    return order


def order_transition(
    *, order: Order, to: str, at: dt.datetime, event_id: str = "", note: str = ""
) -> Order:
    if order.status not in ALLOWED[to]:
        raise _fail(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(
                _("order %(external_id)s is %(status)s; it cannot become %(to)s"),
                external_id=repr(order.external_id),
                status=order.status,
                to=to,
            ),
            "type",
        )
    _check_not_before_payment(order, at)
    if to == S.SHIPPED:
        order.shipped_at = at
    elif to == S.COMPLETED:
        order.completed_at = at
    elif to == S.CANCELLED:
        order.cancelled_at = at
    _set_status(order, to, at, event_id, note)
    order.save()
    return order


def _check_not_before_payment(order: Order, at: dt.datetime) -> None:
    """Shipping, completing, refunding or cancelling a paid order happens after
    the payment; an earlier date is a shop bug (or a stale clock) that would
    leave e.g. shipped_at before paid_at and date points reversals before the
    points they reverse."""
    if order.paid_at is not None and at < order.paid_at:
        raise _fail(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("occurred_at %(value)s is before order %(external_id)s was paid (%(value2)s)"),
                value=at.isoformat(),
                external_id=repr(order.external_id),
                value2=order.paid_at.isoformat(),
            ),
            "occurred_at",
        )


def _refund_amount_for(line: OrderLine, quantity: int) -> int:
    """The paid amount of ``quantity`` more units, so that cumulative refunds of
    all units add up to exactly the line's paid amount."""
    before = divide(line.paid_amount * line.refunded_quantity, line.quantity, Rounding.DOWN)
    after = divide(
        line.paid_amount * (line.refunded_quantity + quantity), line.quantity, Rounding.DOWN
    )
    return after - before


def order_refund(
    *,
    order: Order,
    refund_id: str,
    lines: list[RefundLineInput] | None,
    at: dt.datetime,
    event_id: str = "",
) -> RefundResult:
    """Refund some lines and quantities (``lines``) or everything left (None)."""
    if order.status not in REFUNDABLE:
        raise _fail(
            ErrorCode.INVALID_TRANSITION,
            lazy_format(
                _("order %(external_id)s is %(status)s; it cannot be refunded"),
                external_id=repr(order.external_id),
                status=order.status,
            ),
            "type",
        )
    _check_not_before_payment(order, at)
    if Refund.objects.filter(order=order, external_id=refund_id).exists():
        raise _fail(
            ErrorCode.DUPLICATE,
            lazy_format(_("refund %(refund_id)s already recorded"), refund_id=repr(refund_id)),
            "data.refund_id",
        )
    order_lines = {ln.line_id: ln for ln in order.lines.select_for_update().order_by("pk")}
    wanted: list[tuple[OrderLine, int]] = []
    if lines is None:
        wanted = [
            (ln, ln.quantity - ln.refunded_quantity)
            for ln in order_lines.values()
            if ln.quantity > ln.refunded_quantity
        ]
    else:
        seen: set[str] = set()
        for i, item in enumerate(lines):
            ln = order_lines.get(item.line_id)
            if ln is None:
                raise _fail(
                    ErrorCode.VALIDATION_ERROR,
                    lazy_format(_("order has no line %(line_id)s"), line_id=repr(item.line_id)),
                    f"data.lines[{i}].line_id",
                )
            if item.line_id in seen:
                raise _fail(
                    ErrorCode.VALIDATION_ERROR,
                    lazy_format(_("line %(line_id)s listed twice"), line_id=repr(item.line_id)),
                    f"data.lines[{i}].line_id",
                )
            seen.add(item.line_id)
            left = ln.quantity - ln.refunded_quantity
            if item.quantity > left:
                raise _fail(
                    ErrorCode.VALIDATION_ERROR,
                    lazy_format(
                        _("only %(left)s of line %(line_id)s can still be refunded"),
                        left=left,
                        line_id=repr(item.line_id),
                    ),
                    f"data.lines[{i}].quantity",
                )
            wanted.append((ln, item.quantity))
    if not wanted:
        raise _fail(ErrorCode.INVALID_TRANSITION, _("nothing left to refund"), "data.lines")

    done: list[tuple[OrderLine, int, int]] = []
    for ln, qty in wanted:
        done.append((ln, qty, _refund_amount_for(ln, qty)))
        ln.refunded_quantity += qty
    full = all(ln.refunded_quantity == ln.quantity for ln in order_lines.values())
    amount = sum(a for _, _, a in done)
    if full:
        # The last refund also returns shipping and any rounding remainder.
        amount = order.paid_amount - order.refunded_amount
    refund = Refund.objects.create(order=order, external_id=refund_id, amount=amount, at=at)
    RefundLine.objects.bulk_create(
        RefundLine(refund=refund, line=ln, quantity=q, amount=a) for ln, q, a in done
    )
    OrderLine.objects.bulk_update([ln for ln, _, _ in done], ["refunded_quantity"])
    order.refunded_amount += amount
    order.refunded_at = at
    _set_status(order, S.REFUNDED if full else S.PARTIALLY_REFUNDED, at, event_id)
    order.save()
    return RefundResult(refund=refund, lines=done, full=full)
