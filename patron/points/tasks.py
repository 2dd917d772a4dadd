from __future__ import annotations

from django_tasks import task

from patron.messaging.kinds import reminders_due
from patron.points import messages, services


@task()
def points_activate_pending() -> int:
    """Pending order points whose return window has passed become available."""
    return services.pending_activate_due()


@task()
def points_expire() -> int:
    """Expire every lot whose expiry has come (set-based)."""
    lots, _ = services.lots_expire_due()
    return lots


@task()
def points_birthday() -> int:
    """Birthday points for today's birthdays (once a year per member and rule)."""
    return services.birthday_grant_due()


@task()
def points_expiring_remind() -> int:
    """Remind members of points expiring in 30 and 7 days (once per date and window)."""
    if not reminders_due():
        return 0
    return messages.points_expiring_notify()
