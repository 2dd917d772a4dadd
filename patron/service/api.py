"""Shop API of the service desk (scope ``service``): tickets (list, read,
create, reply) and messages from outside channels.

The shop API is the shop's own backend, so a ticket's timeline includes
internal notes and calls, flagged ``internal``: true. Attachments travel as
base64 in the JSON body (``content_base64``); Patron never fetches a URL a
client names (no requests to arbitrary hosts from the server), so a file is
bounded by the API's body limit as well as the attachment limit."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from patron.core.api import Answer, ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import ApiScope
from patron.core.validation import AwareDateTime, ExternalId, MultilineText, Text
from patron.members import selectors as member_selectors
from patron.service import selectors, services, shop_selectors
from patron.service.models import AgentProfile, TicketEntry
from patron.service.services.attachments import Upload

router = Router(tags=["service"])
SCOPE = ApiScope.SERVICE

Status = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
Topic = Literal[
    "pre_sale",
    "order_change",
    "logistics",
    "return",
    "complaint",
    "membership",
    "suggestion",
    "other",
]
Priority = Literal["low", "normal", "high", "urgent"]


class TicketAttachmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    content_base64: Annotated[Text, Field(min_length=1)] = Field(
        description="the file's bytes, base64 (images and PDF only)"
    )


class ServiceMessageIn(Schema):
    model_config = ConfigDict(extra="forbid")
    channel: Annotated[Text, Field(min_length=1, max_length=40)] = Field(
        description="the outside channel's name, e.g. wechat, weibo, douyin"
    )
    message_id: Annotated[Text, Field(min_length=1, max_length=150)] = Field(
        description="the channel's id of the message; the same id again records nothing"
    )
    sender_id: Annotated[Text, Field(min_length=1, max_length=200)]
    sender_name: Annotated[Text, Field(max_length=100)] = ""
    member: ExternalId | None = Field(None, description="the member, when the shop knows them")
    text: Annotated[MultilineText, Field(min_length=1, max_length=20_000)]
    attachments: list[TicketAttachmentIn] = Field(default_factory=list, max_length=10)


class TicketIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member: ExternalId
    channel: Literal["chat", "phone", "portal", "agent"] = "portal"
    subject: Annotated[Text, Field(min_length=1, max_length=200)]
    text: Annotated[MultilineText, Field(min_length=1, max_length=20_000)]
    topic: Topic = "other"
    priority: Priority = "normal"
    message_id: Annotated[Text, Field(max_length=150)] = Field(
        "", description="the shop's id of the request; the same id again answers the first ticket"
    )
    attachments: list[TicketAttachmentIn] = Field(default_factory=list, max_length=10)


class TicketReplyIn(Schema):
    model_config = ConfigDict(extra="forbid")
    agent_id: int = Field(description="the agent who answers (their id in Patron)")
    text: Annotated[MultilineText, Field(min_length=1, max_length=20_000)]
    internal: bool = Field(False, description="an internal note the member never sees")
    status: Literal["open", "pending", "on_hold", "solved"] | None = None
    attachments: list[TicketAttachmentIn] = Field(default_factory=list, max_length=10)


class TicketsQuery(Schema):
    status: Status | None = None
    member: ExternalId | None = None
    updated_since: AwareDateTime | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


class TicketContactOut(Schema):
    channel: str
    handle: str
    name: str


class TicketAttachmentOut(Schema):
    name: str
    content_type: str
    size: int
    url: str


class TicketEntryOut(Schema):
    id: int
    kind: Literal["member", "reply", "note", "status", "action", "call"]
    internal: bool = Field(description="a note or a call: the member never sees it")
    channel: str
    author: str | None
    text: str
    data: dict[str, Any]
    message_id: str | None
    attachments: list[TicketAttachmentOut]
    created_at: str


class TicketOut(Schema):
    number: int
    reference: str
    member: str | None
    contact: TicketContactOut | None
    channel: str
    subject: str
    topic: Topic
    priority: Priority
    status: Status
    team: str | None
    assignee: str | None
    tags: list[str]
    merged_into: int | None
    follows: int | None
    created_at: str
    updated_at: str
    first_response_at: str | None
    solved_at: str | None
    closed_at: str | None


class TicketWithTimelineOut(TicketOut):
    timeline: list[TicketEntryOut]


class TicketPageOut(Schema):
    items: list[TicketOut]
    next_before: int | None


class ServiceMessageOut(Schema):
    ticket: TicketOut
    entry: TicketEntryOut


def _uploads(attachments: list[TicketAttachmentIn]) -> list[Upload]:
    uploads = []
    for i, item in enumerate(attachments):
        try:
            content = base64.b64decode(item.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise validation_error(
                f"attachments[{i}].content_base64", _("not valid base64")
            ) from None
        uploads.append(Upload(name=item.name, content=content))
    return uploads


@router.get(
    "/tickets",
    response=TicketPageOut,
    summary="The shop's tickets, newest first",
    auth=ApiKeyAuth(SCOPE),
)
def tickets_list(request: HttpRequest, query: Query[TicketsQuery]) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    page = shop_selectors.tickets_page(
        shop=shop,
        status=query.status,
        member_external_id=query.member,
        updated_since=query.updated_since,
        limit=query.limit,
        before=query.before,
    )
    return json_response(200, page)


@router.get(
    "/tickets/{number}",
    response=TicketWithTimelineOut,
    summary="A ticket with its timeline (internal notes flagged)",
    auth=ApiKeyAuth(SCOPE),
)
def ticket_read(request: HttpRequest, number: int) -> HttpResponse:
    shop = shop_for(request, SCOPE)
    ticket = selectors.ticket_get(shop_id=shop.pk, number=number)
    return json_response(200, shop_selectors.ticket_with_timeline(ticket))


@router.post(
    "/tickets",
    response={201: TicketWithTimelineOut},
    summary="Open a ticket for a member",
    auth=ApiKeyAuth(SCOPE),
)
def ticket_create(request: HttpRequest, payload: TicketIn) -> HttpResponse:
    """201 with the ticket. With ``message_id``, the same id again answers
    the ticket it opened (``Idempotent-Replayed: true``)."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        uploads = _uploads(payload.attachments)
        external_id = f"api:{payload.message_id}" if payload.message_id else ""
        if external_id:
            seen = TicketEntry.objects.filter(
                shop=shop, channel=payload.channel, external_id=external_id
            ).first()
            if seen is not None:
                return 201, shop_selectors.ticket_with_timeline(seen.ticket), True
        member = member_selectors.member_get(shop=shop, external_id=payload.member)
        services.uploads_check(uploads)
        ticket = services.ticket_open(
            shop=shop,
            channel=payload.channel,
            subject=payload.subject,
            body=payload.text,
            member=member,
            topic=payload.topic,
            priority=payload.priority,
            external_id=external_id,
        )
        services.attachments_add(entry=ticket.entries.get(), uploads=uploads)
        return 201, shop_selectors.ticket_with_timeline(ticket)

    return with_idempotency(request, shop, handler)


@router.post(
    "/tickets/{number}/replies",
    response={201: TicketEntryOut},
    summary="Reply to a ticket (or note it) as an agent",
    auth=ApiKeyAuth(SCOPE),
)
def ticket_reply(request: HttpRequest, number: int, payload: TicketReplyIn) -> HttpResponse:
    """201 with the entry written. A public reply goes out on the ticket's
    channel (in-app message, signed ``service.reply`` webhook)."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        ticket = selectors.ticket_get(shop_id=shop.pk, number=number)
        agent = AgentProfile.objects.filter(shop=shop, pk=payload.agent_id).first()
        if agent is None:
            raise PatronError(ErrorCode.VALIDATION_ERROR, _("no such agent"), field="agent_id")
        uploads = _uploads(payload.attachments)
        if payload.internal:
            if payload.status is not None:
                raise validation_error("status", _("a note does not move the ticket"))
            entry = services.agent_note(
                ticket=ticket, agent=agent, body=payload.text, attachments=uploads
            )
        else:
            entry = services.agent_reply(
                ticket=ticket,
                agent=agent,
                body=payload.text,
                status=payload.status,
                attachments=uploads,
            )
        return 201, shop_selectors.entry_out(entry)

    return with_idempotency(request, shop, handler)


@router.post(
    "/messages",
    response={201: ServiceMessageOut},
    summary="A message from a social or IM channel",
    auth=ApiKeyAuth(SCOPE),
)
def message_receive(request: HttpRequest, payload: ServiceMessageIn) -> HttpResponse:
    """201 with the ticket the message landed on and its entry; the same
    ``channel`` and ``message_id`` again answers the same, with
    ``Idempotent-Replayed: true``, and records nothing."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        member = (
            member_selectors.member_get(shop=shop, external_id=payload.member)
            if payload.member
            else None
        )
        received = services.social_message_receive(
            shop=shop,
            channel_name=payload.channel,
            sender_id=payload.sender_id,
            sender_name=payload.sender_name,
            message_id=payload.message_id,
            text=payload.text,
            member=member,
            attachments=_uploads(payload.attachments),
        )
        body = {
            "ticket": shop_selectors.ticket_out(received.ticket),
            "entry": shop_selectors.entry_out(received.entry),
        }
        return 201, body, not received.created

    return with_idempotency(request, shop, handler)
