"""Phone calls agents log, on a ticket or as a new phone ticket."""

from __future__ import annotations

import pytest
from django.utils import translation

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import Contact, EntryKind, Ticket, TicketEntry
from patron.service.tests.desk_helpers import agent, team, ticket

pytestmark = pytest.mark.django_db

CALL = {"direction": "in", "number": "138 1234 5678", "duration_seconds": 95, "outcome": "resolved"}


def test_a_call_on_a_ticket_is_an_entry_with_its_details(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    entry = services.call_log(agent=wang, ticket=t, notes="会员来电催发货", **CALL)  # type: ignore[arg-type]
    assert (entry.ticket_id, entry.kind, entry.channel, entry.body) == (
        t.pk,
        "call",
        "phone",
        "会员来电催发货",
    )
    assert entry.data == {
        "direction": "in",
        "number": "+8613812345678",
        "duration_seconds": 95,
        "outcome": "resolved",
    }


def test_a_call_without_a_ticket_opens_a_phone_ticket(shop: Shop, member: Member) -> None:
    wang = agent(shop, "wang")
    entry = services.call_log(
        agent=wang,
        member=member,
        subject="改地址",
        topic="order_change",
        **CALL,  # type: ignore[arg-type]
    )
    t = entry.ticket
    assert (t.channel, t.subject, t.topic, t.member_id, t.assignee_id) == (
        "phone",
        "改地址",
        "order_change",
        member.pk,
        wang.pk,
    )
    assert list(t.entries.values_list("kind", flat=True)) == ["call"]


def test_an_unknown_caller_becomes_a_phone_contact(shop: Shop) -> None:
    wang = agent(shop, "wang")
    call = {"direction": "out", "duration_seconds": 0, "outcome": "no_answer"}
    with translation.override("en"):
        # a Beijing landline
        entry = services.call_log(agent=wang, number="010-6552 9988", **call)  # type: ignore[arg-type]
    contact = Contact.objects.get()
    assert (contact.channel, contact.handle) == ("phone", "+861065529988")
    assert entry.ticket.contact_id == contact.pk
    assert entry.ticket.subject == "Phone call with +861065529988"
    # the subject is written in the agent's language
    with translation.override("zh-hans"):
        again = services.call_log(agent=wang, number="+44 20 7946 0958", **call)  # type: ignore[arg-type]
    assert again.ticket.subject == "与 +442079460958 的通话"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"direction": "sideways"}, "direction"),
        ({"number": "12345"}, "number"),
        ({"number": "not a number"}, "number"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"duration_seconds": 90_000}, "duration_seconds"),
        ({"outcome": "great"}, "outcome"),
    ],
)
def test_a_bad_call_is_refused_naming_the_field(
    shop: Shop, member: Member, change: dict[str, object], field: str
) -> None:
    wang = agent(shop, "wang")
    with pytest.raises(PatronError) as refused:
        services.call_log(agent=wang, member=member, **{**CALL, **change})  # type: ignore[arg-type]
    assert refused.value.field == field
    assert not Ticket.objects.exists()
    assert not TicketEntry.objects.filter(kind=EntryKind.CALL).exists()


def test_an_agent_logs_calls_only_on_their_teams_tickets(shop: Shop, member: Member) -> None:
    pre, post = team(shop, "pre"), team(shop, "post")
    li = agent(shop, "li", post)
    t = ticket(shop, member, pre)
    with pytest.raises(PatronError) as refused:
        services.call_log(agent=li, ticket=t, **CALL)  # type: ignore[arg-type]
    assert refused.value.field == "ticket"
    assert not TicketEntry.objects.filter(kind=EntryKind.CALL).exists()
