"""``webhooks_emit_bulk``: the deliveries of many events of one type at once,
for the set-based jobs (points and coupons expiring, tier evaluation): one
query for the subscriptions, one insert per batch, never one per member."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from patron.core import clock
from patron.messaging.models import WebhookDelivery, WebhookSubscription
from patron.messaging.webhooks.services import subscribes_to


def webhooks_emit_bulk(
    *, shop_id: int, event_type: str, events: Sequence[tuple[str, dict[str, Any]]]
) -> int:
    """One delivery per (active subscription to ``event_type``, event id) in
    the caller's transaction; an event id delivered to a subscription before
    (a rerun) is skipped by the unique constraint. Returns how many it made."""
    if not events:
        return 0
    subscriptions = [
        s
        for s in WebhookSubscription.objects.filter(shop_id=shop_id, active=True)
        if subscribes_to(s, event_type)
    ]
    if not subscriptions:
        return 0
    now = clock.now()
    rows = [
        WebhookDelivery(
            subscription=subscription,
            event_type=event_type,
            event_id=event_id,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            created_at=now,
            cycle_started_at=now,
            next_attempt_at=now,
        )
        for subscription in subscriptions
        for event_id, payload in events
    ]
    ids = [s.pk for s in subscriptions]
    event_ids = [e for e, _ in events]
    existing = WebhookDelivery.objects.filter(subscription_id__in=ids, event_id__in=event_ids)
    before = existing.count()
    WebhookDelivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    created = existing.count() - before
    if created:
        # The retry job posts them (deliveries are due now); it claims each
        # one, so it never posts one twice.
        transaction.on_commit(_enqueue_retry)
    return created


def _enqueue_retry() -> None:
    from patron.messaging.webhooks import tasks

    tasks.webhooks_retry_due.enqueue()
