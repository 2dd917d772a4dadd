"""Webhook races on PostgreSQL with real parallel connections: the same
event emitted by concurrent retries of its cause, and the on-commit task and
the retry job reaching one delivery together."""

from __future__ import annotations

import threading

import pytest
from django.db import transaction

from patron.core.models import Shop
from patron.core.tests.races import race
from patron.messaging.models import WebhookAttempt, WebhookDelivery
from patron.messaging.tests.http_server import Received, Reply, local_server
from patron.messaging.webhooks import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_emits_of_one_event_make_one_delivery(shop: Shop) -> None:
    services.webhook_subscription_create(
        shop=shop, url="http://127.0.0.1:9/hook", event_types=["*"], actor=None
    )

    def emit(i: int) -> int:
        with transaction.atomic():
            return len(
                services.webhook_emit(
                    shop=shop, event_type="order.paid", event_id="evt-same", payload={"i": i}
                )
            )

    wins, losses = race(6, emit)
    assert losses == []
    assert sorted(wins) == [0] * 5 + [1]
    assert WebhookDelivery.objects.count() == 1


def test_the_task_and_the_retry_job_never_post_one_delivery_twice(shop: Shop) -> None:
    posts = 0
    lock = threading.Lock()

    def answer(received: Received) -> Reply:
        nonlocal posts
        with lock:
            posts += 1
        return Reply(200, "ok", delay=0.2)

    with local_server(answer) as srv:
        services.webhook_subscription_create(shop=shop, url=srv.url, event_types=["*"], actor=None)
        (delivery,) = services.webhook_emit(
            shop=shop, event_type="order.paid", event_id="evt-1", payload={}
        )
        _wins, losses = race(
            6,
            lambda i: (
                services.webhook_deliver(delivery.pk) if i % 2 else services.webhook_deliver_due()
            ),
        )

    assert losses == []
    assert posts == 1
    assert WebhookAttempt.objects.count() == 1
    assert WebhookDelivery.objects.get().state == "delivered"
