"""Carrying agents' public replies out, per channel (registered with
``reply_sender_register`` from ``ServiceConfig.ready``):

- social and IM tickets: a signed ``service.reply`` webhook to the shop,
  whose integration posts it to the channel;
- chat, portal, phone and agent-opened tickets of a known member: a
  ``service.reply`` message in the member's portal inbox.

E-mail tickets are the e-mail channel's (another sender). Both run in the
reply's transaction: the webhook delivery and the message exist exactly when
the reply does, and leave after it commits."""

from __future__ import annotations

from typing import Any

from patron.messaging import services as messaging
from patron.messaging.kinds import MessageKind, kind_register, link, plain_wording, same_wording
from patron.messaging.models import Category, Channel
from patron.messaging.webhooks.services import webhook_emit
from patron.service.models import TicketChannel, TicketEntry
from patron.service.services.conversation import reply_sender_register
from patron.service.services.intake import social_address

REPLY = "service.reply"
WEBHOOK_REPLY = "service.reply"
INBOX_CHANNELS = (
    TicketChannel.CHAT,
    TicketChannel.PORTAL,
    TicketChannel.PHONE,
    TicketChannel.AGENT,
)


def register_kinds() -> None:
    kind_register(
        MessageKind(
            code=REPLY,
            category=Category.SERVICE,
            variables={
                "ticket": "the ticket's reference, e.g. T12",
                "subject": "the ticket's subject",
                "reply": "the agent's reply",
                "agent": "the agent's display name",
                "ticket_url": "the conversation in the portal",
            },
            channels=(Channel.INAPP,),
            defaults=same_wording(
                (Channel.INAPP,),
                zh=plain_wording("客服回复：{{ subject }}", "{{ agent }}：{{ reply }}"),
                en=plain_wording("Reply from service: {{ subject }}", "{{ agent }}: {{ reply }}"),
            ),
        )
    )


def reply_event_id(entry: TicketEntry) -> str:
    return f"service.reply:{entry.pk}"


def social_payload(entry: TicketEntry) -> dict[str, Any]:
    ticket = entry.ticket
    assert ticket.contact is not None
    channel_name, sender_id = social_address(ticket.contact)
    return {
        "ticket": ticket.number,
        "reference": ticket.reference,
        "reply_id": entry.pk,
        "channel": channel_name,
        "recipient_id": sender_id,
        "member": ticket.member.external_id if ticket.member else None,
        "text": entry.body,
        "agent": entry.author.display_name if entry.author else "",
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "size": a.size, "url": a.file.url}
            for a in entry.attachments.all()
        ],
        "created_at": entry.created_at,
    }


def social_reply_send(entry: TicketEntry) -> None:
    ticket = entry.ticket
    if ticket.channel != TicketChannel.SOCIAL or ticket.contact is None:
        return
    if ticket.contact.channel != TicketChannel.SOCIAL:
        return
    webhook_emit(
        shop=ticket.shop_id,
        event_type=WEBHOOK_REPLY,
        event_id=reply_event_id(entry),
        payload=social_payload(entry),
    )


def inbox_reply_send(entry: TicketEntry) -> None:
    ticket = entry.ticket
    if ticket.channel not in INBOX_CHANNELS or ticket.member is None:
        return
    messaging.message_send(
        member=ticket.member,
        kind=REPLY,
        cause=reply_event_id(entry),
        context={
            "ticket": ticket.reference,
            "subject": ticket.subject,
            "reply": entry.body,
            "agent": entry.author.display_name if entry.author else "",
            "ticket_url": link(f"/service/{ticket.number}/"),
        },
        channels=[Channel.INAPP],
    )


def register() -> None:
    register_kinds()
    reply_sender_register(social_reply_send)
    reply_sender_register(inbox_reply_send)
