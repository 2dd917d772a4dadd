"""Webhook writes: subscriptions (create, change, delete, rotate the secret),
``webhook_emit`` (deliveries in the caller's transaction), the delivery
attempts with their retries, and the operator's resend."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import secrets
import time
from typing import Any

import httpx
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core import services as core_services
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.validation import text_problem
from patron.messaging.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryState,
    WebhookSubscription,
)
from patron.messaging.webhooks import signing
from patron.messaging.webhooks.urls import check_url, refusal

Actor = User | AnonymousUser | None

# Retries: exponential backoff with full jitter (a random wait between 0 and
# min(MAX, BASE * 2**(attempts-1))), for the window from the cycle's start;
# the last attempt is made at the window's end, then the delivery has failed.
RETRY_BASE = dt.timedelta(seconds=30)
RETRY_MAX = dt.timedelta(hours=1)
RETRY_WINDOW = dt.timedelta(hours=24)
ROTATION_WINDOW = dt.timedelta(hours=24)
# A claimed delivery is someone's for this long (the POST's timeout and then some).
CLAIM_LEASE = dt.timedelta(minutes=2)
TIMEOUT_SECONDS = 10.0

EVENT_TYPE_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_*]+)+)$")
MAX_EVENT_TYPES = 50


def _new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def _timeout() -> float:
    return float(getattr(settings, "PATRON_WEBHOOK_TIMEOUT", TIMEOUT_SECONDS))


# --- Subscriptions -------------------------------------------------------------


def _check_event_types(value: Any) -> list[str]:
    if not isinstance(value, list) or not value:
        raise validation_error("event_types", _("name at least one event type"))
    if len(value) > MAX_EVENT_TYPES:
        raise validation_error("event_types", _("at most 50 event types"))
    for i, item in enumerate(value):
        if not isinstance(item, str) or not EVENT_TYPE_PATTERN.match(item):
            raise validation_error(
                f"event_types[{i}]",
                _("must be an event type such as member.tier_changed, or * for every type"),
            )
    return sorted(set(value))


def _check_description(value: str) -> str:
    if len(value) > 200 or text_problem(value):
        raise validation_error("description", _("at most 200 characters, no control characters"))
    return value


def subscribes_to(subscription: WebhookSubscription, event_type: str) -> bool:
    """``*`` takes every type; ``points.*`` every type under ``points.``."""
    for pattern in subscription.event_types:
        if pattern in ("*", event_type):
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def webhook_subscription_create(
    *,
    shop: Shop,
    url: str,
    event_types: list[str],
    description: str = "",
    active: bool = True,
    actor: Actor,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret (returned once; the caller shows it)."""
    require_perm(actor, "messaging.add_webhooksubscription", shop=shop, what="manage webhooks")
    url = check_url(url)
    types = _check_event_types(event_types)
    description = _check_description(description)
    secret = _new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            shop=shop,
            url=url,
            event_types=types,
            description=description,
            active=active,
            secret=secret,
            created_at=clock.now(),
        )
        core_services.audit_record(
            actor=actor,
            action="webhook.create",
            obj=subscription,
            after=_public(subscription),
        )
    return subscription, secret


def _public(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit log keeps of a subscription: never its secrets."""
    return {
        "url": subscription.url,
        "event_types": subscription.event_types,
        "description": subscription.description,
        "active": subscription.active,
    }


def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor: Actor, **changes: Any
) -> WebhookSubscription:
    """Change url, event_types, description or active."""
    require_perm(
        actor,
        "messaging.change_webhooksubscription",
        shop=subscription.shop_id,
        what="manage webhooks",
    )
    checked: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "url":
            checked[name] = check_url(value)
        elif name == "event_types":
            checked[name] = _check_event_types(value)
        elif name == "description":
            checked[name] = _check_description(value)
        elif name == "active":
            checked[name] = bool(value)
        else:
            raise validation_error(name, _("cannot be changed"))
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        before = _public(locked)
        for name, value in checked.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(checked) or None)
        core_services.audit_record(
            actor=actor, action="webhook.update", obj=locked, before=before, after=_public(locked)
        )
    return locked


def webhook_subscription_delete(*, subscription: WebhookSubscription, actor: Actor) -> None:
    """Delete the subscription and its delivery log."""
    require_perm(
        actor,
        "messaging.delete_webhooksubscription",
        shop=subscription.shop_id,
        what="manage webhooks",
    )
    with transaction.atomic():
        core_services.audit_record(
            actor=actor, action="webhook.delete", obj=subscription, before=_public(subscription)
        )
        subscription.delete()


def webhook_secret_rotate(
    *,
    subscription: WebhookSubscription,
    actor: Actor,
    keep_previous_for: dt.timedelta = ROTATION_WINDOW,
) -> str:
    """A new secret, returned once. The old one keeps signing beside it for
    ``keep_previous_for`` (default 24 h), so the shop can switch without a gap."""
    require_perm(
        actor,
        "messaging.change_webhooksubscription",
        shop=subscription.shop_id,
        what="manage webhooks",
    )
    if keep_previous_for < dt.timedelta(0) or keep_previous_for > dt.timedelta(days=30):
        raise validation_error("keep_previous_hours", _("must be between 0 and 720 hours"))
    secret = _new_secret()
    with transaction.atomic():
        locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        locked.previous_secret = locked.secret
        locked.previous_valid_until = clock.now() + keep_previous_for
        locked.secret = secret
        locked.save(update_fields=["secret", "previous_secret", "previous_valid_until"])
        core_services.audit_record(
            actor=actor,
            action="webhook.rotate_secret",
            obj=locked,
            after={"previous_valid_until": locked.previous_valid_until},
        )
    subscription.refresh_from_db()
    return secret


def signing_secrets(subscription: WebhookSubscription) -> list[str]:
    """The current secret, and the previous one while its window lasts."""
    found = [subscription.secret]
    until = subscription.previous_valid_until
    if subscription.previous_secret and until is not None and clock.now() < until:
        found.append(subscription.previous_secret)
    return found


# --- Emitting --------------------------------------------------------------------


def webhook_emit(
    *, shop: Shop | int, event_type: str, event_id: str, payload: dict[str, Any]
) -> list[WebhookDelivery]:
    """One delivery per active subscription of the shop to ``event_type``,
    written in the caller's transaction (an outbox: they exist exactly when
    the cause does) and dispatched after it commits. The same ``event_id``
    again (a retried cause) creates nothing new."""
    from patron.messaging.webhooks import tasks  # tasks imports this module

    shop_id = shop.pk if isinstance(shop, Shop) else shop
    body = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    now = clock.now()
    created: list[WebhookDelivery] = []
    subscriptions = WebhookSubscription.objects.filter(shop_id=shop_id, active=True)
    with transaction.atomic():
        for subscription in subscriptions:
            if not subscribes_to(subscription, event_type):
                continue
            delivery, new = _delivery_insert_or_first(
                subscription, event_type=event_type, event_id=event_id, payload=body, now=now
            )
            if new:
                created.append(delivery)
        ids = [d.pk for d in created]
        if ids:
            transaction.on_commit(
                lambda: [tasks.webhook_deliver.enqueue(delivery_id=pk) for pk in ids]
            )
    return created


def _delivery_insert_or_first(
    subscription: WebhookSubscription,
    *,
    event_type: str,
    event_id: str,
    payload: dict[str, Any],
    now: dt.datetime,
) -> tuple[WebhookDelivery, bool]:
    def insert() -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            subscription=subscription,
            event_type=event_type,
            event_id=event_id,
            payload=payload,
            created_at=now,
            cycle_started_at=now,
            next_attempt_at=now,
        )

    def first() -> WebhookDelivery:
        return WebhookDelivery.objects.get(subscription=subscription, event_id=event_id)

    return insert_or_first(insert, first)


# --- Delivering --------------------------------------------------------------------


def request_body(delivery: WebhookDelivery) -> bytes:
    """The JSON the shop receives; the same bytes on every attempt."""
    document = {
        "id": delivery.event_id,
        "type": delivery.event_type,
        "created_at": delivery.created_at.isoformat().replace("+00:00", "Z"),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    """Take the delivery for one attempt: a conditional update, so the task
    and the retry job never POST the same delivery at once."""
    return bool(
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=WebhookDeliveryState.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + CLAIM_LEASE)
    )


def backoff(attempts: int) -> dt.timedelta:
    """Full jitter: uniformly between 0 and the capped exponential step."""
    # the exponent stops growing once the step passes the cap (no overflow)
    ceiling = min(RETRY_MAX, RETRY_BASE * (2 ** min(max(attempts - 1, 0), 16)))
    return ceiling * random.random()


def webhook_deliver(delivery_id: int) -> str | None:
    """One attempt at a due pending delivery (the task and the retry job call
    this); returns the state it is left in, or None if it was not due."""
    now = clock.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    body = request_body(delivery)
    status: int | None = None
    excerpt = ""
    if not subscription.active:
        # switched off after the event: stop here instead of retrying for a day
        return _record_attempt(
            delivery, now, None, "", "not sent: the subscription is switched off", 0, final=True
        )
    error = refusal(subscription.url)
    started = time.monotonic()
    if error is None:
        timestamp = int(now.timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Patron-Webhooks/1",
            signing.HEADER: signing.signature_header(
                signing_secrets(subscription), timestamp, body
            ),
            "Patron-Event": delivery.event_type,
            "Patron-Delivery": str(delivery.pk),
        }
        try:
            response = httpx.post(
                subscription.url,
                content=body,
                headers=headers,
                timeout=_timeout(),
                follow_redirects=False,
            )
            status = response.status_code
            excerpt = response.text[: WebhookAttempt.EXCERPT_LIMIT]
        except httpx.TimeoutException as exc:
            error = f"timed out: {exc!r}"[:500]
        except httpx.HTTPError as exc:
            error = f"connection failed: {exc!r}"[:500]
    duration_ms = int((time.monotonic() - started) * 1000)
    return _record_attempt(delivery, now, status, excerpt, error or "", duration_ms)


def _record_attempt(
    delivery: WebhookDelivery,
    at: dt.datetime,
    status: int | None,
    excerpt: str,
    error: str,
    duration_ms: int,
    *,
    final: bool = False,
) -> str:
    ok = status is not None and 200 <= status < 300
    attempts = delivery.attempts + 1
    deadline = delivery.cycle_started_at + RETRY_WINDOW
    fields: dict[str, Any] = {"attempts": attempts}
    if ok:
        fields.update(state=WebhookDeliveryState.DELIVERED, delivered_at=at, next_attempt_at=None)
    elif final or at >= deadline:
        fields.update(state=WebhookDeliveryState.FAILED, next_attempt_at=None)
    else:
        fields.update(next_attempt_at=min(at + backoff(attempts), deadline))
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=at,
            status_code=status,
            response_excerpt=excerpt,
            error=error,
            duration_ms=duration_ms,
        )
        WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    return str(fields.get("state", WebhookDeliveryState.PENDING))


def webhook_deliveries_due(limit: int = 500) -> list[int]:
    """Ids of pending deliveries whose next attempt has come (oldest first)."""
    return list(
        WebhookDelivery.objects.filter(
            state=WebhookDeliveryState.PENDING, next_attempt_at__lte=clock.now()
        )
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def webhook_deliver_due(limit: int = 500) -> int:
    """Attempt every due delivery (the retry job); returns how many were tried."""
    return sum(1 for pk in webhook_deliveries_due(limit) if webhook_deliver(pk) is not None)


def webhook_resend(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Start a fresh cycle of attempts (a new 24 h window), whatever the state;
    earlier attempts stay in the log."""
    shop_id = WebhookSubscription.objects.values_list("shop_id", flat=True).get(
        pk=delivery.subscription_id
    )
    require_perm(
        actor, "messaging.resend_webhookdelivery", shop=shop_id, what="resend webhook deliveries"
    )
    from patron.messaging.webhooks import tasks  # tasks imports this module

    now = clock.now()
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        if not WebhookSubscription.objects.filter(pk=locked.subscription_id, active=True).exists():
            raise PatronError(
                ErrorCode.INACTIVE, _("the subscription is switched off"), field="subscription"
            )
        before = {"state": locked.state, "attempts": locked.attempts}
        locked.state = WebhookDeliveryState.PENDING
        locked.attempts = 0
        locked.cycle_started_at = now
        locked.next_attempt_at = now
        locked.delivered_at = None
        locked.save(
            update_fields=[
                "state",
                "attempts",
                "cycle_started_at",
                "next_attempt_at",
                "delivered_at",
            ]
        )
        core_services.audit_record(
            actor=actor,
            action="webhook.resend",
            obj=locked,
            shop=shop_id,
            before=before,
            after={"state": locked.state},
        )
        pk = locked.pk
        transaction.on_commit(lambda: tasks.webhook_deliver.enqueue(delivery_id=pk))
    return locked
