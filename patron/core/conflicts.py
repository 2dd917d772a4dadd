"""Retry a unit of work that PostgreSQL aborted to break a deadlock.

Two batches that touch the same members in different orders can each hold a
row the other needs; PostgreSQL then aborts one of them (SQLSTATE 40P01), or a
serialization failure (40001) aborts it. The aborted transaction changed
nothing, so running it again is safe and almost always succeeds once the
other has committed. After a few tries the caller gets a 409 asking it to
retry, never a 500.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError

T = TypeVar("T")
RETRYABLE = {"40P01", "40001"}  # deadlock_detected, serialization_failure
ATTEMPTS = 4


def is_retryable(exc: BaseException) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE


def run_retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """``work()``, run again (after a short random pause) when the database
    aborted it for a deadlock or a serialization failure. Only the outermost
    transaction can be retried: inside a caller's transaction the error is
    the caller's."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except OperationalError as exc:
            if not is_retryable(exc) or connection.in_atomic_block:
                raise
            if attempt == attempts:
                raise PatronError(
                    ErrorCode.CONFLICT,
                    _(
                        "the request kept colliding with concurrent changes to the same "
                        "members; nothing was changed, send it again"
                    ),
                ) from exc
            time.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")
