"""Template filters for amounts and points in the house style (¥1,234.50, 12,345)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from patron.core import clock
from patron.core.money import format_money

register = template.Library()


@register.filter
def money(amount: Any, currency: str = "CNY") -> str:
    """Integer fen to ¥ with thousands separators: 123450 -> ¥1,234.50."""
    if amount is None or amount == "":
        return ""
    return format_money(int(amount), currency or "CNY")


@register.filter
def points(value: Any) -> str:
    """12345 -> 12,345; negative values keep their sign."""
    if value is None or value == "":
        return ""
    return f"{int(value):,}"


@register.filter
def signed_points(value: Any) -> str:
    """+1,200 / -300: ledger deltas always show their sign."""
    if value is None or value == "":
        return ""
    return f"{int(value):+,}"


@register.filter
def last_day(end: Any) -> Any:
    """An exclusive end instant (an expiry, a coupon's valid_until) as the last
    day it still allows, shop time zone: show people the day they can last use
    something, not the midnight after it. Empty stays empty."""
    if not isinstance(end, dt.datetime):
        return end
    return clock.last_day(end)


@register.filter
def percent(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.0%}"
