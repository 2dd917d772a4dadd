"""Business time: pure arithmetic over a shop's working hours.

A ``Hours`` is a time zone, windows per weekday (several a day: 09:00-12:00
and 13:30-18:00 leaves a lunch break), holidays (dates off) and adjusted
working days (调休: a weekend date that works, with the windows of a given
weekday). ``business_add`` and ``business_seconds_between`` walk it day by
day; nothing here touches the database, so the same ``Hours`` built from a
``BusinessCalendar`` row or by hand gives the same answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

Window = tuple[dt.time, dt.time]

#: How far ``business_add`` looks for working time before it gives up (a
#: calendar with no windows at all never reaches a due time).
HORIZON_DAYS = 3 * 366


@dataclass(frozen=True)
class Hours:
    time_zone: str
    #: weekday (0 = Monday) -> windows, start < end, in order, not overlapping.
    windows: Mapping[int, Sequence[Window]]
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    #: date -> the weekday whose windows it works (调休).
    workdays: Mapping[dt.date, int] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def windows_on(self, day: dt.date) -> Sequence[Window]:
        if day in self.workdays:
            return self.windows.get(self.workdays[day], ())
        if day in self.holidays:
            return ()
        return self.windows.get(day.weekday(), ())

    def spans(self, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Working intervals (aware, in UTC) ending after ``start``, in order,
        the first one clipped to begin at ``start``."""
        tz = self.tz
        day = start.astimezone(tz).date() - dt.timedelta(days=1)  # a window may span midnight UTC
        for _ in range(HORIZON_DAYS + 2):
            for w_start, w_end in self.windows_on(day):
                a = dt.datetime.combine(day, w_start, tzinfo=tz).astimezone(dt.UTC)
                b = dt.datetime.combine(day, w_end, tzinfo=tz).astimezone(dt.UTC)
                if b <= start:
                    continue
                yield max(a, start), b
            day += dt.timedelta(days=1)


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(dt.UTC)


def business_add_seconds(start: dt.datetime, seconds: int, hours: Hours) -> dt.datetime:
    """The moment ``seconds`` of working time after ``start``. Zero gives
    ``start`` itself, even out of hours."""
    start = _aware(start, "start")
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if seconds == 0:
        return start
    left = dt.timedelta(seconds=seconds)
    for a, b in hours.spans(start):
        if b - a >= left:
            return a + left
        left -= b - a
    raise ValueError("the calendar has no working time in reach")


def business_add(start: dt.datetime, minutes: int, hours: Hours) -> dt.datetime:
    """The moment ``minutes`` of working time after ``start``."""
    return business_add_seconds(start, minutes * 60, hours)


def business_seconds_between(a: dt.datetime, b: dt.datetime, hours: Hours) -> int:
    """Whole seconds of working time from ``a`` to ``b`` (0 when b <= a)."""
    a, b = _aware(a, "a"), _aware(b, "b")
    if b <= a:
        return 0
    total = dt.timedelta()
    for s, e in hours.spans(a):
        if s >= b:
            break
        total += min(e, b) - s
    return int(total.total_seconds())


def business_minutes_between(a: dt.datetime, b: dt.datetime, hours: Hours) -> int:
    """Whole minutes of working time from ``a`` to ``b`` (rounded down)."""
    return business_seconds_between(a, b, hours) // 60


def parse_windows(raw: Mapping[str, Sequence[Sequence[str]]]) -> dict[int, list[Window]]:
    """``{"0": [["09:00", "12:00"], ["13:30", "18:00"]], ...}`` checked:
    weekdays 0-6, start before end, in order and not overlapping. A
    ``ValueError`` names the weekday at fault."""
    out: dict[int, list[Window]] = {}
    for key, spans in raw.items():
        try:
            weekday = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"weekday {key!r} is not 0-6") from None
        if not 0 <= weekday <= 6:
            raise ValueError(f"weekday {key!r} is not 0-6")
        parsed: list[Window] = []
        for span in spans:
            try:
                start, end = (dt.time.fromisoformat(str(x)) for x in span)
            except (TypeError, ValueError):
                raise ValueError(f"weekday {weekday}: {span!r} is not [HH:MM, HH:MM]") from None
            if start >= end:
                raise ValueError(f"weekday {weekday}: {span!r} ends before it starts")
            if parsed and start < parsed[-1][1]:
                raise ValueError(f"weekday {weekday}: windows overlap or are out of order")
            parsed.append((start, end))
        out[weekday] = parsed
    return out


#: Monday to Friday, 09:00-12:00 and 13:30-18:00.
OFFICE_WINDOWS: dict[str, list[list[str]]] = {
    str(d): [["09:00", "12:00"], ["13:30", "18:00"]] for d in range(5)
}
