"""Money as integer minor units (fen for CNY) with a currency code.

There are no floats here. Every division that needs rounding goes through
:func:`divide`, so the rounding rule is named once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Rounding(enum.StrEnum):
    DOWN = "down"  # towards zero: never give more than earned
    HALF_UP = "half_up"  # commercial rounding: .5 goes away from zero
    UP = "up"  # away from zero


def divide(numerator: int, denominator: int, rounding: Rounding = Rounding.DOWN) -> int:
    """Integer division of two ints with an explicit rounding rule."""
    if denominator == 0:
        raise ZeroDivisionError("denominator is zero")
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    if r and (rounding is Rounding.UP or (rounding is Rounding.HALF_UP and 2 * r >= denominator)):
        q += 1
    return sign * q


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` across ``weights`` pro rata, exactly (largest remainder).

    The parts always add up to ``total``; ties go to the earlier weight. Used to
    spread an order-level discount or points over its lines.
    """
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        parts = [0] * len(weights)
        parts[0] = total
        return parts
    parts = [total * w // weight_sum for w in weights]
    remainders = [(total * w % weight_sum, -i) for i, w in enumerate(weights)]
    short = total - sum(parts)
    for _, neg_i in sorted(remainders, reverse=True)[:short]:
        parts[-neg_i] += 1
    return parts


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")

    def _check(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥"}
_EXPONENT = {"JPY": 0}


def format_money(amount: int, currency: str = "CNY") -> str:
    """¥1,234.50 — the symbol, thousands separators and the currency's decimals."""
    exponent = _EXPONENT.get(currency, 2)
    sign = "-" if amount < 0 else ""
    major, minor = divmod(abs(amount), 10**exponent)
    text = f"{major:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    return f"{sign}{_SYMBOLS.get(currency, currency + ' ')}{text}"
