"""The one clock.

Every piece of Patron that needs "now" asks this module, so that tests can
freeze or move time for expiry, birthdays, tier periods and SLAs alike.
"""

from __future__ import annotations

import datetime as dt
import threading

from django.utils import timezone

_lock = threading.Lock()
_frozen: dt.datetime | None = None
_offset = dt.timedelta(0)


def now() -> dt.datetime:
    if _frozen is not None:
        return _frozen
    return timezone.now() + _offset


def today() -> dt.date:
    """The current date in the shop's time zone (settings.TIME_ZONE)."""
    return timezone.localtime(now()).date()


def last_day(end: dt.datetime) -> dt.date:
    """The last day (shop time zone) before ``end``, an exclusive end instant
    such as an expiry: points that expire at 2027-01-01 00:00 can last be used
    on 2026-12-31, which is the date to show people."""
    return timezone.localtime(end - dt.timedelta(microseconds=1)).date()


def freeze(at: dt.datetime) -> None:
    """Stop the clock at ``at`` (an aware datetime)."""
    global _frozen
    if timezone.is_naive(at):
        raise ValueError("freeze() needs an aware datetime")
    with _lock:
        _frozen = at


def advance(delta: dt.timedelta) -> None:
    """Move the clock forward (or back), frozen or running."""
    global _frozen, _offset
    with _lock:
        if _frozen is not None:
            _frozen = _frozen + delta
        else:
            _offset = _offset + delta


def reset() -> None:
    global _frozen, _offset
    with _lock:
        _frozen = None
        _offset = dt.timedelta(0)
