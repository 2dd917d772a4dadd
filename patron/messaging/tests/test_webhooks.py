"""Webhook subscriptions, the outbox emit, delivery with retries on a moved
clock, rotation and resend, against a real local HTTP receiver."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import AuditLog, OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.messaging.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from patron.messaging.tests.http_server import Reply, local_server
from patron.messaging.webhooks import services, tasks
from patron.messaging.webhooks.signing import SignatureError, verify_signature

START = dt.datetime(2026, 12, 3, 2, 0, 0, tzinfo=dt.UTC)


def subscribe(shop: Shop, url: str, types: list[str] | None = None) -> tuple[Any, str]:
    return services.webhook_subscription_create(
        shop=shop, url=url, event_types=types or ["member.tier_changed"], actor=None
    )


def emit(shop: Shop, event_id: str = "evt-1", event_type: str = "member.tier_changed") -> list[Any]:
    return services.webhook_emit(
        shop=shop, event_type=event_type, event_id=event_id, payload={"member": "M1", "tier": "金"}
    )


@pytest.mark.django_db
def test_emit_creates_deliveries_in_the_callers_transaction_and_dispatches_after_commit(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    clock.freeze(START)
    with local_server(lambda r: Reply(200, "ok")) as srv:
        _subscription, secret = subscribe(shop, srv.url + "/hook")
        subscribe(shop, srv.url + "/other", ["points.adjusted"])  # another type: not called
        with django_capture_on_commit_callbacks() as callbacks:
            (delivery,) = emit(shop)
        assert srv.received == []  # nothing leaves inside the transaction
        assert len(callbacks) == 1
        callbacks[0]()  # the commit: one task is queued for the worker
        (queued,) = DBTaskResult.objects.all()
        assert queued.task_path == "patron.messaging.webhooks.tasks.webhook_deliver"
        assert queued.args_kwargs["kwargs"] == {"delivery_id": delivery.pk}
        assert tasks.webhook_deliver.call(**queued.args_kwargs["kwargs"]) == "delivered"

    (received,) = srv.received
    assert received.path == "/hook"
    assert received.headers["patron-event"] == "member.tier_changed"
    assert received.headers["patron-delivery"] == str(delivery.pk)
    assert verify_signature(
        received.headers["patron-signature"], received.body, [secret], now=START
    )
    assert json.loads(received.body) == {
        "id": "evt-1",
        "type": "member.tier_changed",
        "created_at": "2026-12-03T02:00:00Z",
        "data": {"member": "M1", "tier": "金"},
    }
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.delivered_at) == ("delivered", 1, START)
    (attempt,) = delivery.tries.all()
    assert (attempt.status_code, attempt.response_excerpt, attempt.error) == (200, "ok", "")


@pytest.mark.django_db
def test_a_rolled_back_cause_leaves_no_delivery(shop: Shop) -> None:
    subscribe(shop, "http://127.0.0.1:9/hook")
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(shop)
        raise RuntimeError("the cause failed")
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db
def test_emitting_the_same_event_id_twice_delivers_once(shop: Shop) -> None:
    subscribe(shop, "http://127.0.0.1:9/hook")
    assert len(emit(shop, "evt-7")) == 1
    assert emit(shop, "evt-7") == []
    assert WebhookDelivery.objects.count() == 1


@pytest.mark.django_db
def test_inactive_subscriptions_and_other_shops_get_nothing_wildcards_match(shop: Shop) -> None:
    other = Shop.objects.create(name="Other")
    subscribe(other, "http://127.0.0.1:9/a")
    off, _ = subscribe(shop, "http://127.0.0.1:9/b")
    services.webhook_subscription_update(subscription=off, actor=None, active=False)
    star, _ = subscribe(shop, "http://127.0.0.1:9/c", ["*"])
    members, _ = subscribe(shop, "http://127.0.0.1:9/d", ["member.*"])
    created = emit(shop)
    assert {d.subscription_id for d in created} == {star.pk, members.pk}


@pytest.mark.django_db
def test_a_500_is_retried_with_backoff_and_a_200_later_delivers(shop: Shop) -> None:
    clock.freeze(START)
    answers = iter([Reply(500, "down"), Reply(503, "still down"), Reply(204)])
    with local_server(lambda r: next(answers)) as srv:
        subscribe(shop, srv.url)
        (delivery,) = emit(shop)
        assert services.webhook_deliver(delivery.pk) == "pending"
        delivery.refresh_from_db()
        first_wait = delivery.next_attempt_at - START
        assert dt.timedelta(0) <= first_wait <= services.RETRY_BASE
        # not due yet: the retry job leaves it alone
        if first_wait > dt.timedelta(0):
            assert services.webhook_deliver_due() == 0
        clock.freeze(delivery.next_attempt_at)
        assert services.webhook_deliver_due() == 1
        delivery.refresh_from_db()
        assert delivery.next_attempt_at - clock.now() <= services.RETRY_BASE * 2
        clock.freeze(delivery.next_attempt_at)
        assert services.webhook_deliver_due() == 1

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("delivered", 3)
    assert [a.status_code for a in delivery.tries.all()] == [500, 503, 204]
    assert delivery.tries.first().response_excerpt == "down"
    assert len(srv.received) == 3
    # every attempt carries the same body; the signature is fresh each time
    assert len({r.body for r in srv.received}) == 1


@pytest.mark.django_db
def test_always_failing_is_marked_failed_after_24_hours_and_never_tried_again(shop: Shop) -> None:
    clock.freeze(START)
    with local_server(lambda r: Reply(500, "x" * 5000)) as srv:
        subscribe(shop, srv.url)
        (delivery,) = emit(shop)
        services.webhook_deliver(delivery.pk)
        for _ in range(500):
            delivery.refresh_from_db()
            if delivery.state != "pending":
                break
            assert delivery.next_attempt_at <= START + services.RETRY_WINDOW
            clock.freeze(delivery.next_attempt_at)
            services.webhook_deliver_due()
        clock.advance(dt.timedelta(days=2))
        assert services.webhook_deliver_due() == 0

    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.next_attempt_at is None
    attempts = list(delivery.tries.all())
    assert len(attempts) == delivery.attempts == len(srv.received)
    assert attempts[-1].at == START + services.RETRY_WINDOW
    assert attempts[-2].at < START + services.RETRY_WINDOW
    # the answer is kept, truncated to 2 KB
    assert len(attempts[0].response_excerpt) == WebhookAttempt.EXCERPT_LIMIT
    # waits grow (capped at an hour): no two attempts more than an hour apart
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert max(gaps) <= services.RETRY_MAX


@pytest.mark.django_db
def test_a_timeout_and_a_refused_connection_are_recorded_and_retried(shop: Shop) -> None:
    clock.freeze(START)
    with override_settings(PATRON_WEBHOOK_TIMEOUT=0.2):
        with local_server(lambda r: Reply(200, delay=1.0)) as srv:
            subscribe(shop, srv.url)
            (delivery,) = emit(shop)
            assert services.webhook_deliver(delivery.pk) == "pending"
        next_at = WebhookDelivery.objects.get().next_attempt_at
        assert next_at is not None
        clock.freeze(next_at)
        assert services.webhook_deliver(delivery.pk) == "pending"  # server gone
    errors = [a.error for a in WebhookAttempt.objects.order_by("pk")]
    assert errors[0].startswith("timed out")
    assert errors[1].startswith("connection failed")
    assert all(a.status_code is None for a in WebhookAttempt.objects.all())


@pytest.mark.django_db
def test_a_claimed_delivery_is_not_posted_twice(shop: Shop) -> None:
    clock.freeze(START)
    subscribe(shop, "http://127.0.0.1:9/hook")
    (delivery,) = emit(shop)
    assert services._claim(delivery.pk, START) is True
    assert services._claim(delivery.pk, START) is False
    assert services.webhook_deliver(delivery.pk) is None
    assert WebhookAttempt.objects.count() == 0


@pytest.mark.django_db
def test_rotation_signs_with_both_secrets_in_the_window_and_only_the_new_after(
    shop: Shop,
) -> None:
    clock.freeze(START)
    with local_server(lambda r: Reply(200)) as srv:
        subscription, old = subscribe(shop, srv.url)
        new = services.webhook_secret_rotate(subscription=subscription, actor=None)
        assert new != old
        emit(shop, "evt-a")
        services.webhook_deliver_due()
        clock.advance(dt.timedelta(hours=25))
        emit(shop, "evt-b")
        services.webhook_deliver_due()

    during, after = srv.received
    during_header = during.headers["patron-signature"]
    assert during_header.count("v1=") == 2
    assert verify_signature(during_header, during.body, [old], now=START) > 0
    assert verify_signature(during_header, during.body, [new], now=START) > 0
    after_header = after.headers["patron-signature"]
    assert after_header.count("v1=") == 1
    assert verify_signature(after_header, after.body, [new], now=clock.now()) > 0
    with pytest.raises(SignatureError):
        verify_signature(after_header, after.body, [old], now=clock.now())
    assert AuditLog.objects.filter(action="webhook.rotate_secret").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("ftp://shop.example.com/hook", "url"),
        ("javascript:alert(1)", "url"),
        ("file:///etc/passwd", "url"),
        ("shop.example.com/hook", "url"),
        ("", "url"),
        ("http://user:pw@shop.example.com/", "url"),
        ("http://shop.example.com:99999/", "url"),
    ],
)
def test_a_url_that_is_not_http_or_https_is_refused_naming_the_field(
    shop: Shop, url: str, field: str
) -> None:
    with pytest.raises(PatronError) as caught:
        subscribe(shop, url)
    assert caught.value.field == field
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ],
)
def test_non_public_addresses_are_refused_outside_debug(shop: Shop, url: str) -> None:
    with override_settings(PATRON_WEBHOOK_ALLOW_PRIVATE=False):
        with pytest.raises(PatronError) as caught:
            subscribe(shop, url)
        assert caught.value.field == "url"
        assert "public address" in caught.value.detail_en


@pytest.mark.django_db
def test_a_subscription_whose_address_turned_private_is_not_called(shop: Shop) -> None:
    clock.freeze(START)
    with local_server(lambda r: Reply(200)) as srv:
        subscribe(shop, srv.url)
        (delivery,) = emit(shop)
        with override_settings(PATRON_WEBHOOK_ALLOW_PRIVATE=False):
            assert services.webhook_deliver(delivery.pk) == "pending"
    assert srv.received == []
    assert "public address" in WebhookAttempt.objects.get().error


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("types", "field"),
    [([], "event_types"), (["Member Tier"], "event_types[0]"), ("member.x", "event_types")],
)
def test_bad_event_types_are_refused_naming_the_field(shop: Shop, types: Any, field: str) -> None:
    with pytest.raises(PatronError) as caught:
        services.webhook_subscription_create(
            shop=shop, url="https://shop.example.com/h", event_types=types, actor=None
        )
    assert caught.value.field == field
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
def test_resend_starts_a_fresh_cycle_keeps_the_log_and_is_audited(
    shop: Shop, django_capture_on_commit_callbacks: Any
) -> None:
    clock.freeze(START)
    roles_sync()
    admin = User.objects.create_user("ops")
    OperatorMembership.objects.create(user=admin, shop=shop, role="admin")
    with local_server(lambda r: Reply(200)) as srv:
        subscribe(shop, srv.url)
        (delivery,) = emit(shop)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", next_attempt_at=None)
        services._record_attempt(delivery, START, 500, "old", "", 1)
        clock.advance(dt.timedelta(days=3))
        with django_capture_on_commit_callbacks() as callbacks:
            services.webhook_resend(delivery=delivery, actor=admin)
        assert len(callbacks) == 1  # the attempt is enqueued after commit
        assert tasks.webhook_deliver.call(delivery_id=delivery.pk) == "delivered"
    delivery.refresh_from_db()
    assert delivery.state == "delivered"
    assert delivery.cycle_started_at == clock.now()
    assert [a.status_code for a in delivery.tries.all()] == [500, 200]
    assert len(srv.received) == 1
    entry = AuditLog.objects.get(action="webhook.resend")
    assert entry.actor == admin
    assert entry.shop_id == shop.pk


@pytest.mark.django_db
def test_resend_is_refused_without_the_permission(shop: Shop) -> None:
    roles_sync()
    analyst = User.objects.create_user("analyst")
    OperatorMembership.objects.create(user=analyst, shop=shop, role="analyst")
    subscribe(shop, "http://127.0.0.1:9/h")
    (delivery,) = emit(shop)
    with pytest.raises(PatronError) as caught:
        services.webhook_resend(delivery=delivery, actor=analyst)
    assert caught.value.status == 403
    assert not AuditLog.objects.filter(action="webhook.resend").exists()


@pytest.mark.django_db
def test_the_audit_log_never_holds_the_secret(shop: Shop) -> None:
    subscription, secret = subscribe(shop, "http://127.0.0.1:9/h")
    new = services.webhook_secret_rotate(subscription=subscription, actor=None)
    dumped = json.dumps(list(AuditLog.objects.values("before", "after")), default=str)
    assert secret not in dumped and new not in dumped


@pytest.mark.django_db
def test_a_delivery_of_a_subscription_switched_off_meanwhile_fails_without_a_post(
    shop: Shop,
) -> None:
    clock.freeze(START)
    with local_server(lambda r: Reply(200)) as srv:
        subscription, _ = subscribe(shop, srv.url)
        (delivery,) = emit(shop)
        services.webhook_subscription_update(subscription=subscription, actor=None, active=False)
        assert services.webhook_deliver(delivery.pk) == "failed"
    assert srv.received == []
    assert WebhookAttempt.objects.get().error == "not sent: the subscription is switched off"
