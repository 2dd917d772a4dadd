from __future__ import annotations

import datetime as dt

from django_tasks import task

from patron.core import clock
from patron.core.models import IdempotencyRecord

IDEMPOTENCY_RETENTION = dt.timedelta(days=7)


@task()
def idempotency_prune() -> int:
    """Forget Idempotency-Key answers older than the retention window."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=clock.now() - IDEMPOTENCY_RETENTION
    ).delete()
    return deleted
