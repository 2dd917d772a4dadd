"""Webhook deliveries leave the request path: one task per delivery on
commit, and the retry job ``patron/schedule.py`` runs every minute."""

from __future__ import annotations

from django_tasks import task

from patron.messaging.webhooks import services as webhooks


@task()
def webhook_deliver(*, delivery_id: int) -> str | None:
    """One attempt at one delivery, right after the cause committed."""
    return webhooks.webhook_deliver(delivery_id)


@task()
def webhooks_retry_due() -> int:
    """Every delivery whose retry time has come (the schedule runs this each minute)."""
    return webhooks.webhook_deliver_due()
