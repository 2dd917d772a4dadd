"""Periodic jobs: what runs how often. ``patron scheduler`` enqueues them.

Each later app adds its jobs here (expiry, pending activation, tier evaluation),
so this table is the one place to read what runs on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from patron.core import tasks as core_tasks


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: Any  # a django_tasks Task


SCHEDULE: list[Job] = [
    Job("core.idempotency_prune", dt.timedelta(hours=1), core_tasks.idempotency_prune),
]
