"""The assistant as first responder on social and IM channels: registered
with the service desk's intake (``first_responder_register``), it answers a
new message through the ticket's own reply path when it is confident, and
otherwise hands the ticket to the desk with the transcript note. Once a
person is on the ticket (an agent answered, it is assigned, or it was handed
off) it stays silent."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext as _

from patron.assistant import services
from patron.assistant.handoff import handoff_onto, wants_person
from patron.assistant.models import Asked, Entry, EntryState, Outcome
from patron.core.errors import PatronError
from patron.messaging.kinds import link
from patron.service import services as service_services
from patron.service.services.intake import Received

CONFIDENT_OUTCOMES = (Outcome.ANSWERED, Outcome.MEMBER_DATA)


def _in_use(received: Received) -> bool:
    """A shop without a published knowledge base has not put the assistant
    on its channels."""
    return Entry.objects.filter(
        shop_id=received.ticket.shop_id, state=EntryState.PUBLISHED
    ).exists()


def _person_on(received: Received) -> bool:
    ticket = received.ticket
    return (
        ticket.first_response_at is not None
        or ticket.assignee_id is not None
        or Asked.objects.filter(ticket=ticket).exists()
    )


def social_first_response(received: Received) -> None:
    ticket = received.ticket
    if not _in_use(received) or _person_on(received):
        return
    text = received.entry.body
    if wants_person(text):
        language = services.language_of(text)
        handoff_onto(ticket=ticket, asked=[], language=language)
        return
    try:
        reply = services.ask(shop=ticket.shop, text=text, member=ticket.member, channel="social")
    except PatronError:
        return  # too long or unreadable for the assistant: the desk reads it as it is
    asked = Asked.objects.get(pk=reply.asked_id)
    if reply.outcome in CONFIDENT_OUTCOMES and not reply.handoff_offered:
        body = reply.text
        if reply.link:
            with translation.override(reply.language):
                body = f"{body}\n{_('Details')}: {link(reply.link)}"
        service_services.automated_reply(ticket=ticket, body=body)
    else:
        handoff_onto(ticket=ticket, asked=[asked], language=reply.language)
