"""Business time with exact timestamps: windows, lunch breaks, weekends,
holidays and 调休 working weekends (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from patron.service.calendar import (
    OFFICE_WINDOWS,
    Hours,
    business_add,
    business_minutes_between,
    business_seconds_between,
    parse_windows,
)

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hh: int, mm: int = 0, month: int = 12) -> dt.datetime:
    """A moment of 2026 in Shanghai time (2026-12-03 is a Thursday)."""
    return dt.datetime(2026, month, day, hh, mm, tzinfo=SH)


def office(**kw: object) -> Hours:
    return Hours("Asia/Shanghai", parse_windows(OFFICE_WINDOWS), **kw)  # type: ignore[arg-type]


def test_within_one_window() -> None:
    assert business_add(at(3, 10), 60, office()) == at(3, 11)


def test_lunch_break_is_skipped() -> None:
    assert business_add(at(3, 11, 30), 60, office()) == at(3, 14)
    assert business_minutes_between(at(3, 11), at(3, 14), office()) == 90


def test_start_out_of_hours_begins_at_the_next_window() -> None:
    assert business_add(at(3, 7), 30, office()) == at(3, 9, 30)
    assert business_add(at(3, 12, 10), 30, office()) == at(3, 14)
    assert business_add(at(3, 20), 30, office()) == at(4, 9, 30)


def test_ending_exactly_at_a_window_end() -> None:
    assert business_add(at(3, 11), 60, office()) == at(3, 12)


def test_weekend_is_skipped() -> None:
    # Friday 17:00 + 2 h: one hour on Friday, one on Monday.
    assert business_add(at(4, 17), 120, office()) == at(7, 10)
    assert business_minutes_between(at(4, 17), at(7, 10), office()) == 120


def test_holiday_is_skipped() -> None:
    hours = office(holidays=frozenset({dt.date(2026, 12, 4)}))
    assert business_add(at(3, 17, 30), 60, hours) == at(7, 9, 30)
    assert business_minutes_between(at(3, 17), at(7, 10), hours) == 120


def test_adjusted_working_saturday() -> None:
    # 调休: Saturday the 5th works with Monday's windows.
    hours = office(workdays={dt.date(2026, 12, 5): 0})
    assert business_add(at(4, 17, 30), 60, hours) == at(5, 9, 30)
    assert business_add(at(5, 11, 30), 60, hours) == at(5, 14)
    assert business_minutes_between(at(4, 17), at(7, 9), hours) == 60 + 450


def test_adjusted_day_wins_over_a_holiday_on_the_same_date() -> None:
    hours = office(holidays=frozenset({dt.date(2026, 12, 5)}), workdays={dt.date(2026, 12, 5): 0})
    assert business_add(at(5, 9), 10, hours) == at(5, 9, 10)


def test_golden_week_with_makeup_days() -> None:
    # A National Day shape: 1-9 October off, Saturday 10 October works
    # with Friday's windows.
    off = frozenset(dt.date(2026, 10, d) for d in range(1, 10))
    hours = office(holidays=off, workdays={dt.date(2026, 10, 10): 4})
    # Wednesday 30 September 17:00 + 90 min: 60 that day, 30 on Saturday the 10th.
    assert business_add(at(30, 17, month=9), 90, hours) == at(10, 9, 30, month=10)


def test_results_are_utc_and_accept_any_zone() -> None:
    start = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    due = business_add(start, 60, office())
    assert due == dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC)
    assert due.tzinfo == dt.UTC


def test_other_time_zone_windows() -> None:
    hours = Hours("Europe/Berlin", parse_windows({"3": [["09:00", "17:00"]]}))
    start = dt.datetime(2026, 12, 3, 7, 0, tzinfo=dt.UTC)  # 08:00 Berlin
    assert business_add(start, 60, hours) == dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


def test_zero_and_seconds() -> None:
    assert business_add(at(3, 20), 0, office()) == at(3, 20)
    assert business_seconds_between(at(3, 10), at(3, 10, 1), office()) == 60
    assert business_seconds_between(at(3, 11), at(3, 10), office()) == 0


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="aware"):
        business_add(dt.datetime(2026, 12, 3, 10), 1, office())
    with pytest.raises(ValueError, match="negative"):
        business_add(at(3, 10), -1, office())
    with pytest.raises(ValueError, match="no working time"):
        business_add(at(3, 10), 1, Hours("Asia/Shanghai", {}))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"7": [["09:00", "10:00"]]}, "not 0-6"),
        ({"x": [["09:00", "10:00"]]}, "not 0-6"),
        ({"1": [["10:00", "09:00"]]}, "ends before"),
        ({"1": [["09:00", "12:00"], ["11:00", "13:00"]]}, "overlap"),
        ({"1": [["9h", "10:00"]]}, "HH:MM"),
    ],
)
def test_parse_windows_rejects(raw: dict[str, list[list[str]]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_windows(raw)
