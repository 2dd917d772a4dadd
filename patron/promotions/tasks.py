from __future__ import annotations

from django_tasks import task

from patron.messaging.kinds import reminders_due
from patron.promotions import messages
from patron.promotions.services import holds


@task()
def holds_expire() -> int:
    """Release checkout holds whose time-out passed (coupons and points back)."""
    return holds.holds_expire()


@task()
def coupons_expiring_remind() -> int:
    """Remind members of coupons expiring in 3 days (once per member and date)."""
    if not reminders_due():
        return 0
    return messages.coupons_expiring_notify()
