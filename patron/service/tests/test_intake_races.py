"""The same social message posted several times at once, on PostgreSQL with
real parallel connections: one entry, one ticket, every answer the same."""

from __future__ import annotations

import pytest

from patron.core.models import Shop
from patron.core.tests.races import race
from patron.service import services
from patron.service.models import Contact, Ticket, TicketEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_posts_of_one_message_record_it_once(shop: Shop) -> None:
    def post(i: int) -> tuple[int, int, bool]:
        received = services.social_message_receive(
            shop=shop,
            channel_name="wechat",
            sender_id="oRace",
            message_id="wx-same",
            text="在吗",
        )
        return received.ticket.pk, received.entry.pk, received.created

    wins, losses = race(5, post)

    assert losses == []
    assert len({(ticket, entry) for ticket, entry, _created in wins}) == 1
    assert sorted(created for _t, _e, created in wins) == [False] * 4 + [True]
    assert (Contact.objects.count(), Ticket.objects.count(), TicketEntry.objects.count()) == (
        1,
        1,
        1,
    )
