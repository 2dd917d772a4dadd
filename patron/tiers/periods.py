"""Calendar arithmetic for tier periods, growth windows and birthdays (pure)."""

from __future__ import annotations

import calendar
import datetime as dt

from patron.tiers.models import Period


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_start_plus(month: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after ``month``'s month (the day
    of ``month`` is ignored); ``points`` adds months to a day instead."""
    index = month.year * 12 + (month.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _period_months(period: str) -> int:
    return 3 if period == Period.QUARTER else 1


def period_start(day: dt.date, period: str) -> dt.date:
    size = _period_months(period)
    first_month = (day.month - 1) // size * size + 1
    return dt.date(day.year, first_month, 1)


def period_end(day: dt.date, period: str, periods_later: int = 0) -> dt.date:
    """The last day of the period containing ``day``, or of one ``periods_later``."""
    start = period_start(day, period)
    size = _period_months(period)
    return month_start_plus(start, size * (periods_later + 1)) - dt.timedelta(days=1)


def last_completed_period_end(today: dt.date, period: str) -> dt.date:
    return period_start(today, period) - dt.timedelta(days=1)


def window_months(on: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """First and last month (as first days) of the rolling window ending at ``on``."""
    last = month_start(on)
    return month_start_plus(last, -(months - 1)), last


def birthday_in(year: int, birthday: dt.date) -> dt.date:
    """The day a birthday is kept in ``year``: 29 February is 28 February in
    years without one."""
    if birthday.month == 2 and birthday.day == 29 and not calendar.isleap(year):
        return dt.date(year, 2, 28)
    return birthday.replace(year=year)


def birthday_keys(today: dt.date, days_before: int, days_after: int) -> list[tuple[int, int, int]]:
    """(month, day, gift year) of every birthday whose day is kept within
    ``[today - days_after, today + days_before]``."""
    keys: list[tuple[int, int, int]] = []
    for offset in range(-days_after, days_before + 1):
        day = today + dt.timedelta(days=offset)
        keys.append((day.month, day.day, day.year))
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            keys.append((2, 29, day.year))
    return keys
