"""Periodic jobs: what runs how often. ``patron scheduler`` enqueues them.

Each later app adds its jobs here (expiry, pending activation, tier evaluation),
so this table is the one place to read what runs on its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from patron.campaigns import tasks as campaigns_tasks
from patron.core import tasks as core_tasks
from patron.messaging import tasks as messaging_tasks
from patron.messaging.webhooks import tasks as webhooks_tasks
from patron.points import tasks as points_tasks
from patron.promotions import tasks as promotions_tasks
from patron.service import tasks as service_tasks
from patron.tiers import tasks as tiers_tasks


@dataclass(frozen=True)
class Job:
    name: str
    every: dt.timedelta
    task: Any  # a django_tasks Task


SCHEDULE: list[Job] = [
    Job("core.idempotency_prune", dt.timedelta(hours=1), core_tasks.idempotency_prune),
    Job("points.activate_pending", dt.timedelta(minutes=15), points_tasks.points_activate_pending),
    Job("points.expire", dt.timedelta(hours=1), points_tasks.points_expire),
    Job("points.birthday", dt.timedelta(hours=6), points_tasks.points_birthday),
    # Idempotent per (shop, period) and (member, year): hourly runs just catch up.
    Job("tiers.period_evaluate", dt.timedelta(hours=1), tiers_tasks.tiers_period_evaluate),
    Job(
        "campaigns.birthday_gifts", dt.timedelta(hours=6), campaigns_tasks.campaigns_birthday_gifts
    ),
    Job("tiers.stats_refresh", dt.timedelta(hours=24), tiers_tasks.tiers_stats_refresh),
    # Keyed by (member, month): the first run of a month records it, later ones
    # retry pending coupons, a missed day is caught up by the next run.
    Job(
        "campaigns.monthly_coupon_packs",
        dt.timedelta(hours=6),
        campaigns_tasks.campaigns_monthly_coupon_packs,
    ),
    # Reminders of points (30 and 7 days before) and coupons (3 days before)
    # about to expire: hourly, acting from 09:00 shop time; keyed by (member,
    # date[, window]), so the later runs of a day send nothing again.
    Job("points.expiring_remind", dt.timedelta(hours=1), points_tasks.points_expiring_remind),
    Job(
        "promotions.coupons_expiring_remind",
        dt.timedelta(hours=1),
        promotions_tasks.coupons_expiring_remind,
    ),
    # Unpaid checkout holds time out after 30 minutes (configurable); a minute late at most.
    Job("promotions.holds_expire", dt.timedelta(minutes=1), promotions_tasks.holds_expire),
    # Webhook deliveries whose backoff has run out; claimed one by one, so a
    # run overlapping the on-commit task never posts a delivery twice.
    Job("messaging.webhooks_retry", dt.timedelta(minutes=1), webhooks_tasks.webhooks_retry_due),
    # Each commit that queues messages enqueues a dispatch; this catches the
    # retries coming due and the marketing held back by quiet hours.
    Job("messaging.dispatch", dt.timedelta(minutes=1), messaging_tasks.messages_dispatch),
    # SLA warnings and breaches: a breach is recorded at its due time, so a
    # late run still records the moment it happened.
    Job("service.sla_scan", dt.timedelta(minutes=1), service_tasks.service_sla_scan),
]
