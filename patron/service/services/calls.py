"""Phone calls an agent logs: on a ticket, or as a new ticket on the phone
channel. A call is an entry of kind ``call`` whose ``data`` holds the
direction, the number (E.164), the duration and the outcome; its notes are
the entry's text (internal, like a note)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.services import audit_record
from patron.members.models import Member
from patron.service.models import (
    AgentProfile,
    EntryKind,
    Ticket,
    TicketChannel,
    TicketEntry,
    TicketTopic,
)
from patron.service.services.tickets import (
    BODY_MAX,
    _choice,
    _text,
    contact_get_or_create,
    ticket_open,
)
from patron.service.services.work import _open_check, work_check

CALL_MAX_SECONDS = 24 * 3600


class CallDirection(TextChoices):
    IN = "in", _("incoming")
    OUT = "out", _("outgoing")


class CallOutcome(TextChoices):
    RESOLVED = "resolved", _("resolved")
    FOLLOW_UP = "follow_up", _("needs a follow-up")
    NO_ANSWER = "no_answer", _("no answer")
    VOICEMAIL = "voicemail", _("voicemail")
    DROPPED = "dropped", _("dropped")


def phone_clean(raw: str, field: str = "number") -> str:
    """A phone number in E.164; without ``+`` read as a mainland China
    number (mobile or landline, e.g. 010-12345678)."""
    text = (raw or "").strip().replace(" ", "").replace("-", "")
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else "CN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise validation_error(field, _("not a valid phone number"))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _call_data(direction: str, number: str, duration_seconds: int, outcome: str) -> dict[str, Any]:
    _choice("direction", direction, CallDirection)
    _choice("outcome", outcome, CallOutcome)
    if (
        isinstance(duration_seconds, bool)
        or not isinstance(duration_seconds, int)
        or not 0 <= duration_seconds <= CALL_MAX_SECONDS
    ):
        raise validation_error(
            "duration_seconds",
            lazy_format(_("whole seconds from 0 to %(limit)d"), limit=CALL_MAX_SECONDS),
        )
    return {
        "direction": direction,
        "number": phone_clean(number),
        "duration_seconds": duration_seconds,
        "outcome": outcome,
    }


@transaction.atomic
def call_log(
    *,
    agent: AgentProfile,
    direction: str,
    number: str,
    duration_seconds: int,
    outcome: str,
    notes: str = "",
    ticket: Ticket | None = None,
    member: Member | None = None,
    subject: str = "",
    topic: str = TicketTopic.OTHER,
    actor: User | AnonymousUser | None = None,
) -> TicketEntry:
    """Log a call on ``ticket``, or, without one, open a phone ticket for
    ``member`` (or the caller's number as a contact) whose first entry is
    the call. Bad input names the field and saves nothing."""
    data = _call_data(direction, number, duration_seconds, outcome)
    notes = _text("notes", notes, limit=BODY_MAX, required=False)
    now = clock.now()
    if ticket is None:
        if member is not None and member.shop_id != agent.shop_id:
            raise validation_error("member", _("unknown member"))
        subject = _text("subject", subject, limit=200, required=False) or str(
            lazy_format(_("Phone call with %(number)s"), number=data["number"])
        )
        contact = None
        if member is None:
            contact = contact_get_or_create(
                shop=agent.shop, channel=TicketChannel.PHONE, handle=data["number"]
            )
        ticket = ticket_open(
            shop=agent.shop,
            channel=TicketChannel.PHONE,
            subject=subject,
            body=notes or subject,
            member=member,
            contact=contact,
            topic=topic,
            author=agent,
            actor=actor,
        )
        ticket.assignee = agent
        entry = ticket.entries.get()
        entry.kind = EntryKind.CALL
        entry.body = notes
        entry.data = data
        entry.save(update_fields=["kind", "body", "data"])
    else:
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        work_check(ticket, agent)
        _open_check(ticket)
        entry = TicketEntry.objects.create(
            shop_id=ticket.shop_id,
            ticket=ticket,
            kind=EntryKind.CALL,
            channel=TicketChannel.PHONE,
            author=agent,
            body=notes,
            data=data,
            created_at=now,
        )
    ticket.updated_at = now
    ticket.save()
    audit_record(actor=actor, action="service.call_log", obj=ticket, after={"entry": entry.pk})
    return entry
