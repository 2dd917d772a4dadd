"""Webhook reads: a shop's subscriptions and their delivery log."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.messaging.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def subscriptions_of(shop_id: int) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(shop_id=shop_id).order_by("pk")


def subscription_get(*, shop_id: int, subscription_id: int) -> WebhookSubscription:
    """The shop's subscription; 404 (naming ``subscription_id``) otherwise."""
    found = WebhookSubscription.objects.filter(shop_id=shop_id, pk=subscription_id).first()
    if found is None:
        raise PatronError(
            ErrorCode.NOT_FOUND, _("no such webhook subscription"), field="subscription_id"
        )
    return found


def delivery_get(*, shop_id: int, delivery_id: int) -> WebhookDelivery:
    found = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(subscription__shop_id=shop_id, pk=delivery_id)
        .first()
    )
    if found is None:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such webhook delivery"), field="delivery_id")
    return found


def deliveries_page(
    *,
    subscription: WebhookSubscription,
    state: str | None = None,
    limit: int = 20,
    before: int | None = None,
) -> tuple[list[WebhookDelivery], int | None]:
    """Newest first, each with its attempts; and the ``before`` of the next page."""
    rows = WebhookDelivery.objects.filter(subscription=subscription)
    if state:
        rows = rows.filter(state=state)
    if before is not None:
        rows = rows.filter(pk__lt=before)
    page = list(
        rows.order_by("-pk").prefetch_related(
            Prefetch("tries", queryset=WebhookAttempt.objects.order_by("pk"))
        )[: limit + 1]
    )
    next_before = page[limit - 1].pk if len(page) > limit else None
    return page[:limit], next_before


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def subscription_out(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "event_types": subscription.event_types,
        "description": subscription.description,
        "active": subscription.active,
        "created_at": _iso(subscription.created_at),
        "previous_secret_valid_until": _iso(subscription.previous_valid_until),
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "subscription_id": delivery.subscription_id,
        "event_type": delivery.event_type,
        "event_id": delivery.event_id,
        "payload": delivery.payload,
        "state": delivery.state,
        "attempt_count": delivery.attempts,
        "next_attempt_at": _iso(delivery.next_attempt_at),
        "created_at": _iso(delivery.created_at),
        "delivered_at": _iso(delivery.delivered_at),
        "attempts": [
            {
                "at": _iso(a.at),
                "status_code": a.status_code,
                "response_excerpt": a.response_excerpt,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in delivery.tries.all()
        ],
    }
