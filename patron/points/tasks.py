from __future__ import annotations

from django_tasks import task

from patron.points import services


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
