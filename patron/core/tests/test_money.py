from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patron.core.money import Money, Rounding, allocate, divide, format_money

D, H, U = Rounding.DOWN, Rounding.HALF_UP, Rounding.UP


@pytest.mark.parametrize(
    ("numerator", "denominator", "rounding", "expected"),
    [
        (7, 2, D, 3),
        (7, 2, H, 4),
        (7, 2, U, 4),
        (-7, 2, D, -3),  # towards zero
        (-7, 2, H, -4),  # .5 away from zero
        (-7, 2, U, -4),
        (7, -2, D, -3),
        (-7, -2, D, 3),
        (-7, -2, H, 4),
        (10, 3, D, 3),
        (10, 3, H, 3),
        (10, 3, U, 4),
        (-10, 3, H, -3),
        (-10, 3, U, -4),
        (11, 3, H, 4),
        (-11, 3, H, -4),
        (-11, 3, D, -3),
        (6, 3, U, 2),  # exact: no rounding either way
        (-6, 3, U, -2),
        (0, 5, U, 0),
        (1, 3, U, 1),
        (-1, 3, U, -1),
        (1, 3, D, 0),
        (-1, 3, D, 0),
        (1, 2, H, 1),
        (-1, 2, H, -1),
        (10**15 + 1, 2, H, 5 * 10**14 + 1),
    ],
)
def test_divide_rounds_as_named(
    numerator: int, denominator: int, rounding: Rounding, expected: int
):
    assert divide(numerator, denominator, rounding) == expected


def test_divide_defaults_to_down():
    assert divide(19, 10) == 1
    assert divide(-19, 10) == -1


def test_divide_by_zero_refused():
    with pytest.raises(ZeroDivisionError):
        divide(1, 0)


@given(st.integers(-(10**12), 10**12), st.integers(-(10**6), 10**6).filter(bool))
def test_divide_is_within_one_of_the_true_quotient(numerator: int, denominator: int):
    down = divide(numerator, denominator, D)
    up = divide(numerator, denominator, U)
    half = divide(numerator, denominator, H)
    exact = numerator / denominator
    assert abs(down) <= abs(exact) + 1e-9
    assert abs(up) >= abs(exact) - 1e-9
    assert abs(up - down) <= 1
    assert half in (down, up)
    if numerator % denominator == 0:
        assert down == up == half == numerator // denominator


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),  # tie: the earlier weight gets the extra fen
        (100, [1, 2], [33, 67]),
        (10, [3, 3, 4], [3, 3, 4]),
        (1, [1, 1], [1, 0]),
        (0, [5, 7], [0, 0]),
        (5, [0, 0], [5, 0]),  # all-zero weights: everything to the first
        (7, [0, 1, 0], [0, 7, 0]),
        (-100, [1, 1, 1], [-33, -33, -34]),
        (9999, [1000, 2000, 3000], [1667, 3333, 4999]),  # .5 tie: earlier weight
        (5, [], []),
    ],
)
def test_allocate_splits_exactly(total: int, weights: list[int], expected: list[int]):
    assert allocate(total, weights) == expected


@given(
    st.integers(-(10**12), 10**12),
    st.lists(st.integers(0, 10**9), min_size=1, max_size=50),
)
def test_allocate_parts_always_sum_to_total_and_stay_pro_rata(total: int, weights: list[int]):
    parts = allocate(total, weights)
    assert len(parts) == len(weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    if weight_sum:
        for part, weight in zip(parts, weights, strict=True):
            # each part is its exact share rounded down or up, never further off
            floor_share = total * weight // weight_sum
            assert part in (floor_share, floor_share + 1)


def test_money_adds_same_currency_only():
    assert Money(150) + Money(50) == Money(200)
    assert Money(150) - Money(200) == Money(-50)
    with pytest.raises(ValueError, match="currency mismatch"):
        Money(1, "CNY") + Money(1, "USD")


@pytest.mark.parametrize("amount", [1.5, "100", True])
def test_money_refuses_non_int_amounts(amount: object):
    with pytest.raises(TypeError):
        Money(amount)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (123450, "CNY", "¥1,234.50"),
        (-5, "CNY", "-¥0.05"),
        (0, "USD", "$0.00"),
        (1000, "JPY", "¥1,000"),
        (199, "GBP", "GBP 1.99"),
    ],
)
def test_format_money(amount: int, currency: str, text: str):
    assert format_money(amount, currency) == text
    assert str(Money(amount, currency)) == text
