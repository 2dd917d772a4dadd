"""run_retrying: deadlocks and serialization failures are run again, then a 409."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError

from patron.core.conflicts import run_retrying
from patron.core.errors import PatronError


class _Cause(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def _aborted(sqlstate: str) -> OperationalError:
    error = OperationalError("aborted")
    error.__cause__ = _Cause(sqlstate)
    return error


def test_a_deadlock_victim_is_run_again():
    tries: list[int] = []

    def work() -> str:
        tries.append(1)
        if len(tries) < 3:
            raise _aborted("40P01")
        return "done"

    assert run_retrying(work) == "done"
    assert len(tries) == 3


def test_a_request_that_keeps_colliding_gets_a_409_not_a_500():
    def work() -> Any:
        raise _aborted("40001")

    with pytest.raises(PatronError) as exc:
        run_retrying(work, attempts=2)
    assert exc.value.status == 409 and exc.value.code == "conflict"


def test_other_database_errors_are_not_retried():
    tries: list[int] = []

    def work() -> Any:
        tries.append(1)
        raise _aborted("53300")  # too many connections

    with pytest.raises(OperationalError):
        run_retrying(work)
    assert len(tries) == 1
