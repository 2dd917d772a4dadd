"""The shop's webhook API: subscriptions, their secret and delivery log.

Mounted at ``/api/v1/webhooks`` by ``patron/api.py``; every operation needs
the ``webhooks`` scope. The secret is in the answer of create and
rotate-secret only.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field, StrictBool

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import validation_error
from patron.core.models import ApiScope
from patron.core.validation import Text
from patron.messaging.webhooks import selectors, services

router = Router(tags=["webhooks"])
SCOPE = ApiScope.WEBHOOKS

EventTypes = Annotated[list[Annotated[Text, Field(max_length=100)]], Field(max_length=50)]


class SubscriptionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[Text, Field(max_length=500)] = Field(
        description="http:// or https://; a public address (loopback and private networks "
        "are refused outside development)"
    )
    event_types: EventTypes = Field(
        description="event types such as member.tier_changed; points.* for a family, * for all"
    )
    description: Annotated[Text, Field(max_length=200)] = ""
    active: StrictBool = True


class SubscriptionPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    url: Annotated[Text, Field(max_length=500)] | None = None
    event_types: EventTypes | None = None
    description: Annotated[Text, Field(max_length=200)] | None = None
    active: StrictBool | None = None


class SubscriptionOut(Schema):
    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_at: dt.datetime
    previous_secret_valid_until: dt.datetime | None = Field(
        description="while set and in the future, the previous secret signs too"
    )


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(description="shown once: keep it to verify Patron-Signature")


class SubscriptionsOut(Schema):
    items: list[SubscriptionOut]


class RotateIn(Schema):
    model_config = ConfigDict(extra="forbid")
    keep_previous_hours: Annotated[int, Field(ge=0, le=720)] = 24


class RotatedOut(Schema):
    secret: str = Field(description="the new secret, shown once")
    previous_secret_valid_until: dt.datetime


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None
    response_excerpt: str = Field(description="the first 2 KB of the answer")
    error: str = Field(description="timeout, connection failure or refusal; empty on an answer")
    duration_ms: int


class DeliveryOut(Schema):
    id: int
    subscription_id: int
    event_type: str
    event_id: str
    payload: dict[str, Any]
    state: Literal["pending", "delivered", "failed"]
    attempt_count: int = Field(description="attempts in the current cycle (since the last resend)")
    next_attempt_at: dt.datetime | None
    created_at: dt.datetime
    delivered_at: dt.datetime | None
    attempts: list[AttemptOut] = Field(description="every attempt, oldest first")


class DeliveriesOut(Schema):
    items: list[DeliveryOut]
    next_before: int | None


class DeliveriesQuery(Schema):
    state: Literal["pending", "delivered", "failed"] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


@router.get(
    "",
    response=SubscriptionsOut,
    summary="The shop's webhook subscriptions",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_list(request: HttpRequest) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    items = [selectors.subscription_out(s) for s in selectors.subscriptions_of(shop.pk)]
    return json_response(200, {"items": items})


@router.post(
    "",
    response={201: SubscriptionCreatedOut},
    summary="Subscribe a URL to event types (answers the signing secret once)",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_create(request: HttpRequest, payload: SubscriptionIn) -> HttpResponse:
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        subscription, secret = services.webhook_subscription_create(
            shop=shop,
            url=payload.url,
            event_types=payload.event_types,
            description=payload.description,
            active=payload.active,
            actor=None,
        )
        return 201, {**selectors.subscription_out(subscription), "secret": secret}

    return with_idempotency(request, shop, handler)


@router.get(
    "/{subscription_id}",
    response=SubscriptionOut,
    summary="One webhook subscription",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    subscription = selectors.subscription_get(shop_id=shop.pk, subscription_id=subscription_id)
    return json_response(200, selectors.subscription_out(subscription))


@router.patch(
    "/{subscription_id}",
    response=SubscriptionOut,
    summary="Change a subscription's URL, event types, description or active flag",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_update(
    request: HttpRequest, subscription_id: int, payload: SubscriptionPatch
) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    subscription = selectors.subscription_get(shop_id=shop.pk, subscription_id=subscription_id)
    changes = payload.model_dump(exclude_unset=True)
    if any(value is None for value in changes.values()):
        field = next(k for k, v in changes.items() if v is None)
        raise validation_error(field, _("may not be null"))
    updated = services.webhook_subscription_update(subscription=subscription, actor=None, **changes)
    return json_response(200, selectors.subscription_out(updated))


@router.delete(
    "/{subscription_id}",
    response={204: None},
    summary="Delete a subscription and its delivery log",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    subscription = selectors.subscription_get(shop_id=shop.pk, subscription_id=subscription_id)
    services.webhook_subscription_delete(subscription=subscription, actor=None)
    return HttpResponse(status=204)


@router.post(
    "/{subscription_id}/rotate-secret",
    response={200: RotatedOut},
    summary="A new signing secret; the previous one keeps signing for keep_previous_hours",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_rotate_secret(
    request: HttpRequest, subscription_id: int, payload: RotateIn | None = None
) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    hours = payload.keep_previous_hours if payload is not None else 24

    def handler() -> Answer:
        subscription = selectors.subscription_get(shop_id=shop.pk, subscription_id=subscription_id)
        secret = services.webhook_secret_rotate(
            subscription=subscription, actor=None, keep_previous_for=dt.timedelta(hours=hours)
        )
        subscription.refresh_from_db()
        return 200, {
            "secret": secret,
            "previous_secret_valid_until": selectors.subscription_out(subscription)[
                "previous_secret_valid_until"
            ],
        }

    return with_idempotency(request, shop, handler)


@router.get(
    "/{subscription_id}/deliveries",
    response=DeliveriesOut,
    summary="The delivery log: each delivery with its attempts and answers, newest first",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_deliveries(
    request: HttpRequest, subscription_id: int, query: Query[DeliveriesQuery]
) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    subscription = selectors.subscription_get(shop_id=shop.pk, subscription_id=subscription_id)
    page, next_before = selectors.deliveries_page(
        subscription=subscription, state=query.state, limit=query.limit, before=query.before
    )
    return json_response(
        200, {"items": [selectors.delivery_out(d) for d in page], "next_before": next_before}
    )


@router.post(
    "/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut},
    summary="Send a delivery again: a fresh cycle of attempts (24 h of retries)",
    auth=ApiKeyAuth(SCOPE),
)
def webhook_resend(request: HttpRequest, delivery_id: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        delivery = selectors.delivery_get(shop_id=shop.pk, delivery_id=delivery_id)
        resent = services.webhook_resend(delivery=delivery, actor=None)
        return 202, selectors.delivery_out(resent)

    return with_idempotency(request, shop, handler)
