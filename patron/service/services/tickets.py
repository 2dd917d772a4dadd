"""Opening tickets: numbers per shop, contacts, the first entry."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.members.models import Member
from patron.service.models import (
    AgentProfile,
    Contact,
    EntryKind,
    Ticket,
    TicketChannel,
    TicketEntry,
    TicketPriority,
    TicketSequence,
    TicketStatus,
    TicketTopic,
)
from patron.service.services.routing import ticket_route
from patron.service.services.sla import sla_update  # SLA

SUBJECT_MAX = 200
BODY_MAX = 20_000


def _choice(field: str, value: str, choices: type[Any]) -> str:
    if value not in choices.values:
        raise validation_error(
            field,
            lazy_format(_("must be one of %(known)s"), known=", ".join(choices.values)),
        )
    return value


def _text(field: str, value: str, *, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise validation_error(field, _("must not be empty"))
    if len(value) > limit:
        raise validation_error(field, lazy_format(_("at most %(limit)d characters"), limit=limit))
    return value


def ticket_number_next(shop: Shop) -> int:
    """The shop's next ticket number; the caller's transaction holds the
    sequence row until it ends, so two tickets never share a number."""
    TicketSequence.objects.get_or_create(shop=shop)
    TicketSequence.objects.filter(shop=shop).update(last=F("last") + 1)
    return TicketSequence.objects.select_for_update().get(shop=shop).last


def contact_get_or_create(
    *, shop: Shop, channel: str, handle: str, name: str = "", member: Member | None = None
) -> Contact:
    """The contact behind ``handle`` on ``channel`` (an address, a number, a
    sender id), made on first sight; linked to ``member`` when given."""
    _choice("channel", channel, TicketChannel)
    handle = _text("handle", handle, limit=254)
    contact, created = Contact.objects.get_or_create(
        shop=shop,
        channel=channel,
        handle=handle,
        defaults={"name": name[:100], "member": member, "created_at": clock.now()},
    )
    if not created and member is not None and contact.member_id is None:
        contact.member = member
        contact.save(update_fields=["member"])
    return contact


@transaction.atomic
def ticket_open(
    *,
    shop: Shop,
    channel: str,
    subject: str,
    body: str,
    member: Member | None = None,
    contact: Contact | None = None,
    topic: str = TicketTopic.OTHER,
    priority: str = TicketPriority.NORMAL,
    order_id: int | None = None,
    author: AgentProfile | None = None,
    external_id: str = "",
    actor: User | AnonymousUser | None = None,
) -> Ticket:
    """A new ticket with its first entry: the member's message, or the
    agent's note when an agent opens it (a logged call, an agent's ticket).
    Bad input names the field and saves nothing."""
    _choice("channel", channel, TicketChannel)
    _choice("topic", topic, TicketTopic)
    _choice("priority", priority, TicketPriority)
    subject = _text("subject", subject, limit=SUBJECT_MAX)
    body = _text("body", body, limit=BODY_MAX)
    if member is None and contact is None:
        raise validation_error("member", _("a ticket needs a member or a contact"))
    if member is not None and member.shop_id != shop.pk:
        raise validation_error("member", _("unknown member"))
    if contact is not None:
        if contact.shop_id != shop.pk:
            raise validation_error("contact", _("unknown contact"))
        if member is None and contact.member_id is not None:
            member = contact.member
    now = clock.now()
    ticket = Ticket.objects.create(
        shop=shop,
        number=ticket_number_next(shop),
        member=member,
        contact=contact,
        channel=channel,
        subject=subject,
        topic=topic,
        priority=priority,
        status=TicketStatus.NEW,
        order_id=order_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        last_member_message_at=None if author is not None else now,
    )
    TicketEntry.objects.create(
        shop=shop,
        ticket=ticket,
        kind=EntryKind.NOTE if author is not None else EntryKind.MEMBER_MESSAGE,
        channel=channel,
        author=author,
        body=body,
        external_id=external_id,
        created_at=now,
    )
    audit_record(actor=actor, action="service.ticket_open", obj=ticket, after={"channel": channel})
    if author is None:
        # A member's ticket goes to a team and an agent; an agent's own stays theirs to route.
        ticket = ticket_route(ticket)
    sla_update(ticket, at=now)  # SLA: due times from the first matching policy
    return ticket
