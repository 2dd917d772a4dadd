"""Refund arithmetic: partial refunds add up to exactly what was paid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.tests.factories import MemberFactory
from patron.orders import services
from patron.orders.models import Order, OrderStatus, Refund
from patron.orders.services import LineInput, PaidOrderInput, RefundLineInput

AT = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)
pytestmark = pytest.mark.django_db


def _pay(shop: Shop, lines: list[tuple[str, int, int]], paid: int, shipping: int = 0) -> Order:
    member = MemberFactory.create(shop=shop)
    return services.order_record_paid(
        shop=shop,
        member=member,
        data=PaidOrderInput(
            order_id=f"O-{member.external_id}",
            lines=[LineInput(line_id=i, sku=i, quantity=q, unit_price=p) for i, q, p in lines],
            paid_amount=paid,
            shipping_fee=shipping,
        ),
        at=AT,
    )


def _refund(order: Order, refund_id: str, lines: list[tuple[str, int]] | None) -> int:
    with transaction.atomic():
        locked = services.order_lock(shop=order.shop, order_id=order.external_id)
        result = services.order_refund(
            order=locked,
            refund_id=refund_id,
            lines=None if lines is None else [RefundLineInput(i, q) for i, q in lines],
            at=AT,
        )
    return result.refund.amount


def test_line_shares_exclude_shipping_and_split_exactly(shop: Shop):
    # ¥100.00 paid for 3 × ¥20 + 1 × ¥50 (¥110) with ¥5 shipping and ¥15 off
    order = _pay(shop, [("A", 3, 2000), ("B", 1, 5000)], paid=10000, shipping=500)
    assert [(ln.line_id, ln.paid_amount) for ln in order.lines.order_by("line_id")] == [
        ("A", 5182),  # 9500 × 6000/11000 = 5181.8
        ("B", 4318),  # 9500 × 5000/11000 = 4318.2
    ]
    assert (order.items_amount, order.paid_amount, order.status) == (11000, 10000, "paid")


def test_unit_by_unit_refunds_add_up_to_the_line_share_then_shipping(shop: Shop):
    order = _pay(shop, [("A", 3, 2000), ("B", 1, 5000)], paid=10000, shipping=500)
    amounts = [_refund(order, f"R{i}", [("A", 1)]) for i in range(3)]
    assert amounts == [1727, 1727, 1728]  # 5182 / 3, the remainder on the last unit
    assert sum(amounts) == 5182
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("partially_refunded", 5182)
    # the final refund returns B's share and the shipping fee
    assert _refund(order, "R3", [("B", 1)]) == 4318 + 500
    order.refresh_from_db()
    assert (order.status, order.refunded_amount, order.paid_amount) == ("refunded", 10000, 10000)


def test_whole_refund_after_a_partial_returns_the_rest_and_the_remainder(shop: Shop):
    order = _pay(shop, [("A", 7, 333)], paid=2000, shipping=1)
    # 1999 of goods over 7 units: 285.57 each
    assert _refund(order, "R1", [("A", 2)]) == 571
    assert _refund(order, "R2", [("A", 4)]) == 1142
    assert _refund(order, "R3", None) == 2000 - 571 - 1142
    assert sorted(Refund.objects.values_list("amount", flat=True)) == [287, 571, 1142]
    order.refresh_from_db()
    assert order.refunded_amount == order.paid_amount == 2000


def test_refund_of_a_free_order_is_zero(shop: Shop):
    order = _pay(shop, [("A", 1, 1000)], paid=0)
    assert _refund(order, "R1", None) == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED


def test_refund_more_than_left_is_refused_and_changes_nothing(shop: Shop):
    order = _pay(shop, [("A", 2, 1000)], paid=2000)
    _refund(order, "R1", [("A", 1)])
    with pytest.raises(PatronError) as exc:
        _refund(order, "R2", [("A", 2)])
    assert (exc.value.code, exc.value.field) == ("validation_error", "data.lines[0].quantity")
    order.refresh_from_db()
    assert (order.refunded_amount, order.lines.get().refunded_quantity) == (1000, 1)


def test_nothing_left_to_refund(shop: Shop):
    order = _pay(shop, [("A", 1, 1000)], paid=1000)
    _refund(order, "R1", None)
    with pytest.raises(PatronError) as exc:
        _refund(order, "R2", None)
    assert (exc.value.code, exc.value.field) == ("invalid_transition", "type")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    lines=st.lists(st.tuples(st.integers(1, 9), st.integers(0, 100_000)), min_size=1, max_size=4),
    shipping=st.integers(0, 2000),
    discount_pct=st.integers(0, 100),
    data=st.data(),
)
def test_any_sequence_of_partial_refunds_returns_exactly_what_was_paid(
    shop: Shop, lines: list[tuple[int, int]], shipping: int, discount_pct: int, data: Any
):
    items = sum(q * p for q, p in lines)
    paid = shipping + (items * (100 - discount_pct)) // 100
    order = _pay(shop, [(f"L{i}", q, p) for i, (q, p) in enumerate(lines)], paid, shipping)
    shares = {ln.line_id: ln.paid_amount for ln in order.lines.all()}
    assert sum(shares.values()) == paid - shipping
    left = {f"L{i}": q for i, (q, _) in enumerate(lines)}
    refunded_per_line = dict.fromkeys(left, 0)
    total = 0
    n = 0
    while any(left.values()):
        line_id = data.draw(st.sampled_from(sorted(k for k, v in left.items() if v)))
        qty = data.draw(st.integers(1, left[line_id]))
        with transaction.atomic():
            locked = services.order_lock(shop=shop, order_id=order.external_id)
            result = services.order_refund(
                order=locked, refund_id=f"R{n}", lines=[RefundLineInput(line_id, qty)], at=AT
            )
        n += 1
        left[line_id] -= qty
        refunded_per_line[line_id] += sum(a for _, _, a in result.lines)
        total += result.refund.amount
        assert result.full is (not any(left.values()))
    assert total == paid
    assert refunded_per_line == shares
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", paid)


def _move(order: Order, to: str) -> Order:
    with transaction.atomic():
        locked = services.order_lock(shop=order.shop, order_id=order.external_id)
        return services.order_transition(order=locked, to=to, at=AT)


def test_the_rest_of_a_partially_refunded_order_ships_completes_and_refunds(shop: Shop):
    # Given an order of which one line was refunded before shipping
    order = _pay(shop, [("A", 1, 2000), ("B", 1, 5000)], paid=7000)
    _refund(order, "R1", [("A", 1)])
    # When the rest ships and arrives
    assert _move(order, OrderStatus.SHIPPED).status == "shipped"
    assert _move(order, OrderStatus.COMPLETED).status == "completed"
    # Then the history tells it all, and the rest can still be refunded
    statuses = list(order.history.order_by("pk").values_list("to_status", flat=True))
    assert statuses == ["paid", "partially_refunded", "shipped", "completed"]
    assert _refund(order, "R2", [("B", 1)]) == 5000
    order.refresh_from_db()
    assert (order.status, order.refunded_amount) == ("refunded", 7000)


def test_a_refunded_order_cannot_ship(shop: Shop):
    order = _pay(shop, [("A", 1, 2000)], paid=2000)
    _refund(order, "R1", None)
    with pytest.raises(PatronError) as exc:
        _move(order, OrderStatus.SHIPPED)
    assert exc.value.code == "invalid_transition"
