"""The demo orders: two years of orders of the demo members, each through its
life (paid, shipped, completed, some cancelled or refunded), written in bulk.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from patron.core.demo import (
    DEMO_MEMBER_EXTERNAL_ID,
)
from patron.core.money import Rounding, divide
from patron.demo.context import BATCH, ORDER_DAYS, DemoContext, daytime, midnight
from patron.demo.pools import (
    CATALOGUE,
)
from patron.members.models import Member
from patron.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundLine,
)
from patron.orders.services import line_goods_shares

S = OrderStatus


@dataclass
class _Draft:
    order: Order
    lines: list[OrderLine]
    history: list[tuple[str, str, dt.datetime]]
    refund: tuple[dt.datetime, list[tuple[int, int, int]]] | None = None  # at, (idx, qty, amt)


_CATEGORIES = list(CATALOGUE)
_CATEGORY_WEIGHTS = [CATALOGUE[c][0] for c in _CATEGORIES]


def _order_times(
    rng: random.Random, ctx: DemoContext, members: list[Member]
) -> list[tuple[dt.datetime, Member]]:
    """When each order was placed and by whom: spend is heavily skewed."""
    window_start = ctx.ago(ORDER_DAYS)
    weights: list[float] = []
    for m in members:
        start = max(m.registered_at, window_start)
        share = max(0.0, (ctx.base - start).total_seconds()) / (ORDER_DAYS * 86400)
        # A quarter never buy; the rest draw a lognormal appetite (a few whales).
        appetite = 0.0 if rng.random() < 0.25 else rng.lognormvariate(0, 1.3)
        if m.external_id == DEMO_MEMBER_EXTERNAL_ID:
            appetite = 8.0
        weights.append(appetite * share)
    buyers = rng.choices(members, weights=weights, k=ctx.orders_wanted)
    # Double 11 and 618 draw a crowd.
    festivals = [
        d
        for year in range(ctx.base.year - 3, ctx.base.year + 1)
        for d in (dt.date(year, 11, 11), dt.date(year, 6, 18))
        if window_start.date() < d < ctx.base.date()
    ]
    placed: list[tuple[dt.datetime, Member]] = []
    for m in buyers:
        start = max(m.registered_at, window_start)
        span_days = (ctx.base - start).total_seconds() / 86400
        eligible = [d for d in festivals if d > timezone.localtime(start).date()]
        if eligible and rng.random() < 0.06:
            day = rng.choice(eligible)
        else:
            day = timezone.localtime(start + dt.timedelta(days=rng.random() * span_days)).date()
        at = daytime(rng, midnight(day))
        at = min(max(at, start + dt.timedelta(minutes=3)), ctx.base - dt.timedelta(minutes=1))
        placed.append((at, m))
    placed.sort(key=lambda p: (p[0], p[1].external_id))
    return placed


def _draft_order(
    rng: random.Random,
    ctx: DemoContext,
    seq: int,
    at: dt.datetime,
    member: Member,
    likes: list[str],
) -> _Draft:
    n_lines = rng.choices([1, 2, 3, 4, 5], weights=[50, 25, 13, 7, 5])[0]
    picked: list[tuple[str, str, str, int]] = []
    skus: set[str] = set()
    while len(picked) < n_lines:
        category = (
            rng.choice(likes)
            if rng.random() < 0.65
            else rng.choices(_CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
        )
        sku, name, price = rng.choice(CATALOGUE[category][1])
        if sku not in skus:
            skus.add(sku)
            picked.append((sku, name, category, price))
    quantities = [rng.choices([1, 2, 3, 4, 6], weights=[70, 20, 6, 3, 1])[0] for _ in picked]
    amounts = [q * p[3] for q, p in zip(quantities, picked, strict=True)]
    items = sum(amounts)
    shipping = 0 if items >= 9900 else rng.choice([600, 800, 1000])
    discount, coupons = 0, []
    promo = rng.random()
    if promo < 0.12 and items >= 30000:
        discount, coupons = min(items // 30000, 5) * 3000, ["MJ300-30"]  # 每满300减30
    elif promo < 0.22 and items >= 10000:
        discount, coupons = 1000, ["MJ100-10"]
    elif promo < 0.30:
        discount = divide(items * 5, 100, Rounding.DOWN)  # member price: 5% off
    paid = items + shipping - discount
    local = timezone.localtime(at)
    order = Order(
        shop=ctx.shop,
        member=member,
        external_id=f"SO{local:%Y%m%d}{seq:06d}",
        currency="CNY",
        items_amount=items,
        shipping_fee=shipping,
        discount_amount=discount,
        coupon_codes=coupons,
        paid_amount=paid,
        placed_at=at,
    )
    shares = line_goods_shares(paid, shipping, amounts)
    lines = [
        OrderLine(
            line_id=str(i + 1),
            sku=sku,
            name=name,
            category=category,
            quantity=q,
            unit_price=price,
            paid_amount=share,
        )
        for i, ((sku, name, category, price), q, share) in enumerate(
            zip(picked, quantities, shares, strict=True)
        )
    ]
    draft = _Draft(order=order, lines=lines, history=[])
    _draft_lifecycle(rng, ctx, draft)
    return draft


def _draft_lifecycle(rng: random.Random, ctx: DemoContext, draft: _Draft) -> None:
    """Status, timestamps and history: recent orders are still on their way."""
    order, h = draft.order, draft.history
    paid_at = order.placed_at + dt.timedelta(seconds=rng.randrange(20, 1200))
    paid_at = min(paid_at, ctx.base - dt.timedelta(seconds=30))
    order.paid_at = paid_at
    h.append((S.CREATED, S.PAID, paid_at))
    order.status = S.PAID
    last = paid_at
    if rng.random() < 0.03:
        cancelled = min(paid_at + dt.timedelta(minutes=rng.randrange(5, 360)), ctx.base)
        order.cancelled_at = cancelled
        h.append((S.PAID, S.CANCELLED, cancelled))
        order.status, order.updated_at = S.CANCELLED, cancelled
        return
    shipped = paid_at + dt.timedelta(hours=rng.uniform(4, 36))
    completed = shipped + dt.timedelta(days=rng.uniform(2, 6))
    if shipped < ctx.base:
        order.shipped_at = last = shipped
        h.append((S.PAID, S.SHIPPED, shipped))
        order.status = S.SHIPPED
        if completed < ctx.base:
            order.completed_at = last = completed
            h.append((S.SHIPPED, S.COMPLETED, completed))
            order.status = S.COMPLETED
    refund_at = completed + dt.timedelta(days=rng.uniform(0.5, 14))
    if order.status == S.COMPLETED and refund_at < ctx.base and rng.random() < 0.055:
        units = sum(ln.quantity for ln in draft.lines)
        if units == 1 or rng.random() < 0.4:
            refunded = [(i, ln.quantity) for i, ln in enumerate(draft.lines)]
        else:
            refunded = _partial_refund(rng, draft.lines)
        parts = [
            (i, q, divide(draft.lines[i].paid_amount * q, draft.lines[i].quantity, Rounding.DOWN))
            for i, q in refunded
        ]
        full = all(q == draft.lines[i].quantity for i, q in refunded) and len(refunded) == len(
            draft.lines
        )
        for i, q, _ in parts:
            draft.lines[i].refunded_quantity = q
        # A full refund also returns shipping and the rounding remainder.
        order.refunded_amount = order.paid_amount if full else sum(a for *_, a in parts)
        order.refunded_at = last = refund_at
        to = S.REFUNDED if full else S.PARTIALLY_REFUNDED
        h.append((S.COMPLETED, to, refund_at))
        order.status = to
        draft.refund = (refund_at, parts)
    order.updated_at = last


def _partial_refund(rng: random.Random, lines: list[OrderLine]) -> list[tuple[int, int]]:
    """Some units of some lines, never every unit of every line."""
    chosen = sorted(rng.sample(range(len(lines)), rng.randint(1, len(lines))))
    out = [(i, rng.randint(1, lines[i].quantity)) for i in chosen]
    if len(out) == len(lines) and all(q == lines[i].quantity for i, q in out):
        i, q = out[-1]
        out[-1] = (i, q - 1)
        if q - 1 == 0:
            out.pop()
    return out


def _save_drafts(drafts: list[_Draft]) -> None:
    orders = Order.objects.bulk_create([d.order for d in drafts])
    lines: list[OrderLine] = []
    history: list[OrderStatusChange] = []
    for d, order in zip(drafts, orders, strict=True):
        for ln in d.lines:
            ln.order = order
        lines += d.lines
        history += [
            OrderStatusChange(order=order, from_status=a, to_status=b, at=at, note="demo")
            for a, b, at in d.history
        ]
    OrderLine.objects.bulk_create(lines)
    OrderStatusChange.objects.bulk_create(history)
    refunded = [d for d in drafts if d.refund is not None]
    refunds = Refund.objects.bulk_create(
        Refund(
            order=d.order,
            external_id=f"RF{d.order.external_id[2:]}",
            amount=d.order.refunded_amount,
            at=d.refund[0],
        )
        for d in refunded
        if d.refund is not None
    )
    RefundLine.objects.bulk_create(
        RefundLine(refund=refund, line=d.lines[i], quantity=q, amount=a)
        for d, refund in zip(refunded, refunds, strict=True)
        if d.refund is not None
        for i, q, a in d.refund[1]
    )


def step_orders(ctx: DemoContext) -> None:
    rng = ctx.rng("orders")
    likes = {m.pk: rng.sample(_CATEGORIES, 2) for m in ctx.members}
    counts = {"orders": 0, "order_lines": 0, "refunds": 0}
    batch: list[_Draft] = []
    for seq, (at, member) in enumerate(_order_times(rng, ctx, ctx.members), start=1):
        draft = _draft_order(rng, ctx, seq, at, member, likes[member.pk])
        batch.append(draft)
        counts["orders"] += 1
        counts["order_lines"] += len(draft.lines)
        counts["refunds"] += draft.refund is not None
        if len(batch) == BATCH:
            _save_drafts(batch)
            batch = []
    if batch:
        _save_drafts(batch)
    ctx.summary.update(counts)
