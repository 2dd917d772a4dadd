"""Chat in the member portal: the member's message lands on their current
chat ticket (through ``member_writes``, which reopens or follows as it
should) or opens one."""

from __future__ import annotations

from django.db import transaction

from patron.members.models import Member
from patron.service.models import Ticket, TicketChannel, TicketStatus
from patron.service.services.conversation import member_writes
from patron.service.services.tickets import BODY_MAX, _text, ticket_open

#: A chat ticket's subject: the start of the member's first message.
SUBJECT_CHARS = 60


def chat_ticket_current(member: Member) -> Ticket | None:
    """The member's latest chat ticket that is not closed (merged tickets
    point to the ticket they went into)."""
    return (
        Ticket.objects.filter(member=member, channel=TicketChannel.CHAT, merged_into__isnull=True)
        .exclude(status=TicketStatus.CLOSED)
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def chat_member_writes(*, member: Member, body: str, message_id: str = "") -> Ticket:
    """The member's chat message: continues their current chat ticket, else
    opens one. ``message_id`` (the form's one-time token) makes a resent form
    record the message once. Returns the ticket the message is on."""
    body = _text("body", body, limit=BODY_MAX)
    external_id = f"portal:{member.pk}:{message_id}" if message_id else ""
    current = chat_ticket_current(member)
    if current is not None:
        return member_writes(
            ticket=current, body=body, channel=TicketChannel.CHAT, external_id=external_id
        )
    subject = " ".join(body.split())[:SUBJECT_CHARS]
    return ticket_open(
        shop=member.shop,
        channel=TicketChannel.CHAT,
        subject=subject,
        body=body,
        member=member,
        external_id=external_id,
    )
