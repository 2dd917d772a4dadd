"""The e-mail channel: inbound mail becomes a ticket or a message on one,
and public replies on e-mail tickets go out through messaging's e-mail
channel with the headers that make the member's answer thread.

Threading, in order: a Message-ID the mail answers (``In-Reply-To``, then
``References``) that is on a ticket's timeline; a ticket reference such as
``[T123]`` in the subject, when the sender is that ticket's contact or
member; otherwise a new ticket. Automatic mail (auto-replies, bounces,
robots) opens nothing and is never answered, so two robots cannot loop."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.kinds import ChannelTemplate, MessageKind, kind_register
from patron.messaging.models import Category, Channel, Message, MessageState, SuppressReason
from patron.messaging.services import message_send, message_send_to_address
from patron.service.mail.parse import MAIL_MAX_BYTES, InboundMail, parse
from patron.service.models import (
    Attachment,
    EntryKind,
    MailInbox,
    Ticket,
    TicketChannel,
    TicketEntry,
)
from patron.service.services.conversation import member_writes
from patron.service.services.tickets import (
    BODY_MAX,
    SUBJECT_MAX,
    contact_get_or_create,
    ticket_open,
)

logger = logging.getLogger("patron.service.mail")

REPLY_KIND = "service.email_reply"


@dataclass(frozen=True)
class MailOutcome:
    """What became of one inbound mail: ``action`` is opened, threaded,
    duplicate or ignored (then ``why`` says which automatic mail it was)."""

    action: str
    ticket: Ticket | None = None
    why: str = ""


def mail_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mail_inbox_create(*, shop: Shop, address: str) -> tuple[MailInbox, str]:
    """A desk address and the webhook token for it (shown once, kept hashed)."""
    address = (address or "").strip().lower()
    if "@" not in address:
        raise validation_error("address", _("must be an e-mail address"))
    if MailInbox.objects.filter(address=address).exists():
        raise validation_error("address", _("this address is already an inbox"))
    token = secrets.token_urlsafe(32)
    inbox = MailInbox.objects.create(
        shop=shop, address=address, token_sha256=mail_token_hash(token), created_at=clock.now()
    )
    return inbox, token


def mail_inbox_by_token(token: str) -> MailInbox:
    inbox = MailInbox.objects.filter(token_sha256=mail_token_hash(token or ""), active=True).first()
    if inbox is None:
        raise PatronError(
            ErrorCode.UNAUTHENTICATED, _("unknown inbound-mail token"), field="token", status=401
        )
    return inbox


def mail_inbox_for(recipients: list[str]) -> MailInbox | None:
    """The active inbox among the recipients (the SMTP listener's shop)."""
    wanted = [r.strip().lower() for r in recipients]
    return MailInbox.objects.filter(address__in=wanted, active=True).order_by("pk").first()


def _threaded(shop_id: int, mail: InboundMail) -> Ticket | None:
    ids = mail.thread_ids
    if ids:
        entries = TicketEntry.objects.filter(
            shop_id=shop_id, channel=TicketChannel.EMAIL, external_id__in=ids
        ).select_related("ticket")
        by_id = {e.external_id: e.ticket for e in entries}
        for mid in ids:
            if mid in by_id:
                return by_id[mid]
    number = mail.ticket_number
    if number is not None:
        # A reference alone threads only the ticket's own correspondent: a
        # stranger cannot write into someone else's ticket by guessing it.
        return (
            Ticket.objects.filter(shop_id=shop_id, number=number)
            .filter(Q(contact__handle__iexact=mail.sender) | Q(member__email__iexact=mail.sender))
            .first()
        )
    return None


def _attach(entry: TicketEntry, mail: InboundMail) -> None:
    now = clock.now()
    for item in mail.attachments:
        Attachment.objects.create(
            entry=entry,
            file=ContentFile(item.data, name=item.name),
            name=item.name,
            content_type=item.content_type,
            size=len(item.data),
            created_at=now,
        )
    if mail.dropped:
        entry.data = {**entry.data, "dropped_attachments": mail.dropped}
        entry.save(update_fields=["data"])


@transaction.atomic
def mail_receive(*, inbox: MailInbox, raw: bytes) -> MailOutcome:
    """One inbound mail to ``inbox``'s shop. The same Message-ID twice is
    recorded once."""
    if len(raw) > MAIL_MAX_BYTES:
        raise PatronError(
            ErrorCode.BODY_TOO_LARGE, _("the mail is too large"), field="body", status=413
        )
    mail = parse(raw)
    if mail.automatic:
        logger.info("automatic mail %s ignored (%s)", mail.message_id, mail.automatic)
        return MailOutcome("ignored", why=mail.automatic)
    shop = inbox.shop
    seen = (
        TicketEntry.objects.filter(
            shop_id=shop.pk, channel=TicketChannel.EMAIL, external_id=mail.message_id
        )
        .select_related("ticket")
        .first()
    )
    if seen is not None:
        return MailOutcome("duplicate", seen.ticket)
    subject = (mail.subject or str(_("(no subject)")))[:SUBJECT_MAX]
    body = (mail.text or str(_("(no text)")))[:BODY_MAX]
    ticket = _threaded(shop.pk, mail)
    if ticket is not None:
        ticket = member_writes(
            ticket=ticket, body=body, channel=TicketChannel.EMAIL, external_id=mail.message_id
        )
        action = "threaded"
    else:
        member = Member.objects.filter(shop=shop, email__iexact=mail.sender).first()
        contact = contact_get_or_create(
            shop=shop,
            channel=TicketChannel.EMAIL,
            handle=mail.sender,
            name=mail.sender_name,
            member=member,
        )
        ticket = ticket_open(
            shop=shop,
            channel=TicketChannel.EMAIL,
            subject=subject,
            body=body,
            contact=contact,
            external_id=mail.message_id,
        )
        action = "opened"
    entry = TicketEntry.objects.get(
        shop_id=shop.pk, channel=TicketChannel.EMAIL, external_id=mail.message_id
    )
    _attach(entry, mail)
    return MailOutcome(action, entry.ticket)


# Out


def _domain() -> str:
    sender = settings.PATRON_MESSAGING_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip("> ") or "patron.invalid"


def reply_subject(ticket: Ticket) -> str:
    subject = ticket.subject
    reference = f"[{ticket.reference}]"
    if reference not in subject:
        subject = f"{subject} {reference}"
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    return subject


def mail_reply_send(entry: TicketEntry) -> None:
    """A reply sender (``reply_sender_register``): a public reply on an
    e-mail ticket becomes a ``service.email_reply`` message in the reply's
    transaction, with its own Message-ID (kept as the entry's external id),
    In-Reply-To the last mail that came in and References the thread. It
    goes to the address that wrote: a member's message when the ticket has a
    member, else an e-mail to the contact's address (someone not, or not yet,
    a member)."""
    ticket = entry.ticket
    if ticket.channel != TicketChannel.EMAIL or entry.kind != EntryKind.REPLY:
        return
    contact = ticket.contact
    address = (
        contact.handle if contact is not None and contact.channel == TicketChannel.EMAIL else ""
    )
    if ticket.member_id is None and not address:
        # nobody to write to (an e-mail ticket an agent opened without an
        # address); recorded so the agent sees it
        entry.data = {**entry.data, "email": "not_sent_no_address"}
        entry.save(update_fields=["data"])
        return
    message_id = f"<{ticket.reference}.{entry.pk}.{secrets.token_hex(4)}@{_domain()}>"
    thread = list(
        TicketEntry.objects.filter(ticket=ticket, channel=TicketChannel.EMAIL)
        .exclude(external_id="")
        .exclude(pk=entry.pk)
        .order_by("created_at", "pk")
        .values_list("kind", "external_id")
    )
    headers = {"Message-ID": message_id}
    last_member = [mid for kind, mid in thread if kind == EntryKind.MEMBER_MESSAGE]
    if last_member:
        headers["In-Reply-To"] = last_member[-1]
    if thread:
        headers["References"] = " ".join(mid for _, mid in thread[-20:])
    inbox = MailInbox.objects.filter(shop_id=ticket.shop_id, active=True).order_by("pk").first()
    if inbox is not None:
        headers["Reply-To"] = inbox.address
    entry.external_id = message_id
    entry.save(update_fields=["external_id"])
    cause = f"service_reply:{entry.pk}"
    context = {"subject": reply_subject(ticket), "body": entry.body}
    if ticket.member_id is None:
        assert contact is not None
        message_send_to_address(
            shop_id=ticket.shop_id,
            address=address,
            name=contact.name,
            kind=REPLY_KIND,
            cause=cause,
            context=context,
            headers=headers,
        )
        return
    member = Member.objects.get(pk=ticket.member_id)
    messages = message_send(
        member=member, kind=REPLY_KIND, cause=cause, context=context, channels=[Channel.EMAIL]
    )
    for message in messages:
        update: dict[str, object] = {"headers": headers}
        if address:
            # Answer the address that wrote, which may not be the member's own.
            update["address"] = address
            if message.reason == SuppressReason.NO_ADDRESS:
                update.update(state=MessageState.QUEUED, reason="", next_attempt_at=clock.now())
        Message.objects.filter(pk=message.pk).update(**update)


def mail_kind_register() -> None:
    kind_register(
        MessageKind(
            code=REPLY_KIND,
            category=Category.SERVICE,
            variables={"subject": "Re: the ticket's subject [T123]", "body": "the agent's reply"},
            channels=(Channel.EMAIL,),
            defaults={
                Channel.EMAIL: {
                    "zh-hans": ChannelTemplate(subject="{{ subject }}", body_text="{{ body }}"),
                    "en": ChannelTemplate(subject="{{ subject }}", body_text="{{ body }}"),
                }
            },
        )
    )
