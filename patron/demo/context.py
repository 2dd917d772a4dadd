"""What every demo step shares: the :class:`DemoContext` a step receives (the
shop, the members, the base date, a seeded random source a step), the base
date itself, and the draws of a day's busy hours and weighted choices.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member

BATCH = 1000  # rows per bulk_create: few round trips, modest memory
REGISTRATION_DAYS = 912  # about 2.5 years
ORDER_DAYS = 730  # two years


@dataclass
class DemoContext:
    seed: int
    members_wanted: int
    orders_wanted: int
    base: dt.datetime  # local midnight of the day the seed runs; all dates are before it
    log: Callable[[str], None]
    shop: Shop | None = None
    members: list[Member] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        # A string seed is hashed with SHA-512 by random.Random: stable across runs.
        return random.Random(f"{self.seed}:{step}")

    def ago(self, days: float) -> dt.datetime:
        return self.base - dt.timedelta(days=days)


def demo_base() -> dt.datetime:
    """Local midnight of today by the one clock: the fixed point of a seed run."""
    return midnight(clock.today())


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


Step = Callable[[DemoContext], None]


def weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def daytime(rng: random.Random, day_start: dt.datetime) -> dt.datetime:
    """A moment on the day starting at ``day_start``, busiest in the evening."""
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    return day_start + dt.timedelta(hours=hour, seconds=rng.randrange(3600))


_HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 6, 6, 6, 6, 7, 9, 11, 12, 10, 5]
