"""Background work of messaging: the dispatcher, enqueued after each commit
that queued messages and run by the schedule for retries and the end of
quiet hours."""

from __future__ import annotations

from django_tasks import task

from patron.messaging.services import messages_dispatch as _dispatch


@task()
def messages_dispatch() -> dict[str, int]:
    """Send every message due now."""
    return _dispatch()
