"""Opening tickets: numbers per shop, the first entry, refusals that save nothing."""

from __future__ import annotations

import pytest

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import selectors, services
from patron.service.models import EntryKind, Ticket, TicketEntry, TicketStatus
from patron.service.tests.conftest import NOON

pytestmark = pytest.mark.django_db


def test_a_member_opens_a_ticket_with_their_message_first(shop: Shop, member: Member) -> None:
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="发货时间", body="什么时候发货？", member=member
    )
    assert (ticket.number, ticket.status, ticket.created_at) == (1, TicketStatus.NEW, NOON)
    assert ticket.last_member_message_at == NOON
    [entry] = selectors.ticket_timeline(ticket)
    assert (entry.kind, entry.body, entry.author) == (
        EntryKind.MEMBER_MESSAGE,
        "什么时候发货？",
        None,
    )


def test_numbers_count_up_per_shop(shop: Shop, member: Member) -> None:
    other = Shop.objects.create(name="别家")
    contact = services.contact_get_or_create(shop=other, channel="email", handle="a@example.com")
    numbers = [
        services.ticket_open(shop=shop, channel="chat", subject="s", body="b", member=member).number
        for _ in range(3)
    ]
    first_elsewhere = services.ticket_open(
        shop=other, channel="email", subject="s", body="b", contact=contact
    )
    assert (numbers, first_elsewhere.number) == ([1, 2, 3], 1)
    assert selectors.ticket_get(shop_id=other.pk, number=1) == first_elsewhere
    with pytest.raises(PatronError) as missing:
        selectors.ticket_get(shop_id=other.pk, number=2)
    assert missing.value.status == 404


def test_a_contact_linked_to_a_member_brings_the_member(shop: Shop, member: Member) -> None:
    contact = services.contact_get_or_create(shop=shop, channel="email", handle="li@example.com")
    assert contact.member is None
    again = services.contact_get_or_create(
        shop=shop, channel="email", handle="li@example.com", member=member
    )
    assert (again.pk, again.member) == (contact.pk, member)
    ticket = services.ticket_open(
        shop=shop, channel="email", subject="退货", body="想退货", contact=again
    )
    assert ticket.member == member


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("subject", {"subject": "  "}),
        ("subject", {"subject": "长" * 201}),
        ("body", {"body": ""}),
        ("channel", {"channel": "pigeon"}),
        ("topic", {"topic": "weather"}),
        ("priority", {"priority": "whenever"}),
        ("member", {"member": None}),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    shop: Shop, member: Member, field: str, changes: dict[str, object]
) -> None:
    arguments: dict[str, object] = {
        "shop": shop,
        "channel": "chat",
        "subject": "s",
        "body": "b",
        "member": member,
        **changes,
    }
    with pytest.raises(PatronError) as refused:
        services.ticket_open(**arguments)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert (Ticket.objects.count(), TicketEntry.objects.count()) == (0, 0)
