from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from patron.core import clock

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_running_clock_follows_real_time():
    before = timezone.now()
    now = clock.now()
    after = timezone.now()
    assert before <= now <= after
    assert now.tzinfo is not None


def test_freeze_stops_the_clock():
    at = dt.datetime(2026, 11, 11, 0, 0, tzinfo=SHANGHAI)
    clock.freeze(at)
    assert clock.now() == at
    assert clock.now() == at


def test_freeze_refuses_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        clock.freeze(dt.datetime(2026, 1, 1))


def test_advance_moves_a_frozen_clock():
    clock.freeze(dt.datetime(2026, 1, 31, 23, 0, tzinfo=dt.UTC))
    clock.advance(dt.timedelta(hours=2))
    assert clock.now() == dt.datetime(2026, 2, 1, 1, 0, tzinfo=dt.UTC)
    clock.advance(dt.timedelta(days=-1))
    assert clock.now() == dt.datetime(2026, 1, 31, 1, 0, tzinfo=dt.UTC)


def test_advance_moves_a_running_clock():
    clock.advance(dt.timedelta(days=30))
    delta = clock.now() - timezone.now()
    assert dt.timedelta(days=29, hours=23) < delta <= dt.timedelta(days=30)


def test_today_is_the_date_in_shanghai():
    # 2026-11-10 17:30 UTC is already 11 November in Shanghai (UTC+8).
    clock.freeze(dt.datetime(2026, 11, 10, 17, 30, tzinfo=dt.UTC))
    assert clock.today() == dt.date(2026, 11, 11)
    clock.freeze(dt.datetime(2026, 11, 10, 15, 59, tzinfo=dt.UTC))
    assert clock.today() == dt.date(2026, 11, 10)


def test_reset_returns_to_real_time():
    clock.freeze(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    clock.reset()
    assert abs(clock.now() - timezone.now()) < dt.timedelta(seconds=5)
