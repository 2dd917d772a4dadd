"""Messaging endpoints of the shop API: a member's preferences and the delivery log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Body, Query, Router, Schema
from pydantic import Field, StrictBool

from patron.core.api import ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.core.validation import Text
from patron.members import selectors as member_selectors
from patron.messaging import selectors, services
from patron.messaging.models import ConsentSource, Message

preferences_router = Router(tags=["messaging"])
messages_router = Router(tags=["messaging"])

Choices = dict[str, StrictBool]


class PreferencesOut(Schema):
    member: str
    email: dict[str, bool] = Field(description="category -> granted")
    sms: dict[str, bool]
    inapp: dict[str, bool]


def _preferences_out(member: Any) -> dict[str, Any]:
    return {"member": member.external_id, **selectors.preferences_of(member)}


@preferences_router.get(
    "/{external_id}/preferences",
    response=PreferencesOut,
    summary="A member's message preferences per channel and category",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
)
def preferences_get(request: HttpRequest, external_id: Text) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    return json_response(200, _preferences_out(member))


@preferences_router.put(
    "/{external_id}/preferences",
    response=PreferencesOut,
    summary="Change a member's message preferences (channels: email, sms, inapp; "
    "categories: transactional, service, marketing); recorded with source shop_api",
    auth=ApiKeyAuth(ApiScope.MEMBERS_WRITE),
)
def preferences_put(
    request: HttpRequest, external_id: Text, payload: Body[dict[str, Choices]]
) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_WRITE)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)

    def handler() -> tuple[int, Any]:
        services.preferences_set(
            member=member,
            changes={
                (channel, category): granted
                for channel, choices in payload.items()
                for category, granted in choices.items()
            },
            source=ConsentSource.SHOP_API,
            actor="shop",
        )
        return 200, _preferences_out(member)

    return with_idempotency(request, shop, handler)


class MessageOut(Schema):
    id: int
    member: str | None = Field(
        description="null: an e-mail to an address that is no member (a service desk contact)"
    )
    kind: str
    category: str
    channel: str
    cause: str
    state: str
    reason: str
    attempts: int
    last_error: str
    provider_id: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    read_at: dt.datetime | None


class MessagesOut(Schema):
    items: list[MessageOut]
    next_before: int | None


class MessagesQuery(Schema):
    member: Annotated[Text, Field(min_length=1, max_length=64)] | None = None
    state: Literal["queued", "sent", "delivered", "bounced", "failed", "suppressed"] | None = None
    kind: Annotated[Text, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: Annotated[int, Field(ge=1)] | None = None


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _message_out(m: Message) -> dict[str, Any]:
    return {
        "id": m.pk,
        "member": m.member.external_id if m.member else None,
        "kind": m.kind,
        "category": m.category,
        "channel": m.channel,
        "cause": m.cause,
        "state": m.state,
        "reason": m.reason,
        "attempts": m.attempts,
        "last_error": m.last_error,
        "provider_id": m.provider_id,
        "created_at": _iso(m.created_at),
        "next_attempt_at": _iso(m.next_attempt_at),
        "sent_at": _iso(m.sent_at),
        "delivered_at": _iso(m.delivered_at),
        "read_at": _iso(m.read_at),
    }


@messages_router.get(
    "",
    response=MessagesOut,
    summary="The delivery log: messages newest first, by member, state and kind",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
)
def messages_list(request: HttpRequest, query: Query[MessagesQuery]) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    member = (
        member_selectors.member_get(shop=shop, external_id=query.member, field="member")
        if query.member
        else None
    )
    rows, next_before = selectors.messages_log(
        shop=shop,
        member=member,
        state=query.state,
        kind=query.kind,
        before=query.before,
        limit=query.limit,
    )
    return json_response(
        200, {"items": [_message_out(m) for m in rows], "next_before": next_before}
    )
