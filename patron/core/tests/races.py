"""Real parallel connections for PostgreSQL race tests, shared by every app's
tests (here in core so that any app may use it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def race(n: int, action: Callable[[int], Any]) -> tuple[list[Any], list[Exception]]:
    """Run ``action(i)`` in ``n`` threads released together, each on its own
    database connection; (results, exceptions)."""
    barrier = threading.Barrier(n)
    wins: list[Any] = []
    losses: list[Exception] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            result = action(i)
            with lock:
                wins.append(result)
        except Exception as exc:
            with lock:
                losses.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return wins, losses
