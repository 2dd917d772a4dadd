"""Service desk jobs for the scheduler."""

from __future__ import annotations

from django_tasks import task

from patron.service.services.sla import sla_scan


@task()
def service_sla_scan() -> dict[str, int]:
    """Warnings and breaches that came due since the last run (set-based,
    each recorded once, so runs may overlap or be missed)."""
    return sla_scan()
