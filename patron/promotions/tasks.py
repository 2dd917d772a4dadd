from __future__ import annotations

from django_tasks import task

from patron.promotions.services import holds


@task()
def holds_expire() -> int:
    """Release checkout holds whose time-out passed (coupons and points back)."""
    return holds.holds_expire()
