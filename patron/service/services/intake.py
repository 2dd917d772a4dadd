"""Messages from outside channels (WeChat, Weibo, Douyin, WhatsApp, ...):
the shop's integration posts each one; it lands on the sender's open ticket
or opens one. Idempotent by the channel's message id."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core.errors import validation_error
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import Contact, Ticket, TicketChannel, TicketEntry
from patron.service.services.attachments import Upload, attachments_add, uploads_check
from patron.service.services.conversation import member_writes
from patron.service.services.tickets import BODY_MAX, _text, contact_get_or_create, ticket_open

CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
SUBJECT_FROM_TEXT = 60


@dataclass(frozen=True)
class Received:
    ticket: Ticket
    entry: TicketEntry
    created: bool  # False: the message id was seen before


#: Called with each newly recorded social message, in its transaction, after
#: it landed on a ticket: an automatic first responder (the assistant,
#: registered from the composition root) may answer it or hand it to the
#: desk. The service app never imports the responder.
FirstResponder = Callable[[Received], None]
first_responders: list[FirstResponder] = []


def first_responder_register(responder: FirstResponder) -> None:
    if responder not in first_responders:
        first_responders.append(responder)


def social_handle(channel_name: str, sender_id: str) -> str:
    """The contact's handle: the channel name and its sender id."""
    return f"{channel_name}:{sender_id}"


def social_address(contact: Contact) -> tuple[str, str]:
    """(channel name, sender id) of a social contact."""
    channel_name, _sep, sender_id = contact.handle.partition(":")
    return channel_name, sender_id


def _seen(shop: Shop, external_id: str) -> TicketEntry | None:
    return (
        TicketEntry.objects.filter(shop=shop, channel=TicketChannel.SOCIAL, external_id=external_id)
        .select_related("ticket")
        .first()
    )


@transaction.atomic
def social_message_receive(
    *,
    shop: Shop,
    channel_name: str,
    sender_id: str,
    message_id: str,
    text: str,
    sender_name: str = "",
    member: Member | None = None,
    attachments: Sequence[Upload] = (),
) -> Received:
    """Record the message on the sender's latest ticket (which reopens, or
    is followed by a new one, as ``member_writes`` decides) or a new one.
    The same ``message_id`` on the same channel again records nothing and
    answers the first entry."""
    channel_name = (channel_name or "").strip().lower()
    if not CHANNEL_NAME.match(channel_name):
        raise validation_error(
            "channel", _("a channel name of lower-case letters, digits, - and _ (at most 40)")
        )
    sender_id = _text("sender_id", sender_id, limit=200)
    message_id = _text("message_id", message_id, limit=150)
    text = _text("text", text, limit=BODY_MAX)
    sender_name = _text("sender_name", sender_name, limit=100, required=False)
    uploads_check(attachments)
    if member is not None and member.shop_id != shop.pk:
        raise validation_error("member", _("unknown member"))
    external_id = f"{channel_name}:{message_id}"
    seen = _seen(shop, external_id)
    if seen is not None:
        return Received(seen.ticket, seen, created=False)

    def record() -> tuple[TicketEntry, bool]:
        contact = contact_get_or_create(
            shop=shop,
            channel=TicketChannel.SOCIAL,
            handle=social_handle(channel_name, sender_id),
            name=sender_name,
            member=member,
        )
        # making the contact may have waited on a concurrent post of this message
        again = _seen(shop, external_id)
        if again is not None:
            return again, False
        latest = (
            Ticket.objects.filter(shop=shop, contact=contact, merged_into__isnull=True)
            .order_by("-created_at", "-pk")
            .first()
        )
        if latest is not None:
            member_writes(
                ticket=latest,
                body=text,
                channel=TicketChannel.SOCIAL,
                external_id=external_id,
                attachments=attachments,
            )
        else:
            opened = ticket_open(
                shop=shop,
                channel=TicketChannel.SOCIAL,
                subject=text.splitlines()[0][:SUBJECT_FROM_TEXT],
                body=text,
                contact=contact,
                external_id=external_id,
            )
            attachments_add(entry=opened.entries.get(), uploads=attachments)
        written = _seen(shop, external_id)
        assert written is not None  # written just above, in this transaction
        return written, True

    def first() -> tuple[TicketEntry, bool]:
        winner = _seen(shop, external_id)
        assert winner is not None  # the unique constraint said it exists
        return winner, False

    # The same message posted twice at once: the second insert meets the
    # unique (shop, channel, message id) and answers the first one's entry.
    (entry, created), _inserted = insert_or_first(record, first)
    received = Received(entry.ticket, entry, created=created)
    if created:
        for respond in first_responders:
            respond(received)
    return received
