"""Dispatchers and senders at once, on PostgreSQL with real parallel connections."""

from __future__ import annotations

from collections import Counter

import pytest

from patron.core.models import Shop
from patron.core.tests.races import race
from patron.messaging import services
from patron.messaging.models import Message
from patron.messaging.tests.conftest import SmtpInbox, make_member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_four_dispatchers_at_once_never_send_a_message_twice(smtp: SmtpInbox) -> None:
    # Given 120 queued e-mails
    shop = Shop.objects.create(name="Race shop")
    members = [make_member(shop, n, email=f"r{n}@example.com") for n in range(120)]
    services.messages_send_bulk(
        kind="test.tier_upgraded",
        cause="race:1",
        members=members,
        context={"tier": "金"},
        channels=["email"],
    )

    # When four dispatchers run together, claiming small batches
    results, errors = race(4, lambda i: services.messages_dispatch(batch_size=10))

    # Then every message went out exactly once, and the work was shared
    assert errors == []
    received = Counter(r for _, rcpts, _ in smtp.messages for r in rcpts)
    assert len(received) == 120
    assert set(received.values()) == {1}
    assert sum(r.get("sent", 0) for r in results) == 120
    assert Counter(Message.objects.values_list("state", "attempts")) == Counter({("sent", 1): 120})


def test_the_same_cause_sent_at_once_is_one_message() -> None:
    shop = Shop.objects.create(name="Race shop")
    member = make_member(shop)

    results, errors = race(
        6,
        lambda i: services.message_send(
            member=member, kind="test.tier_upgraded", cause="event:7", context={"tier": "金"}
        ),
    )

    assert errors == []
    assert Message.objects.count() == 3  # one per channel
    assert {tuple(m.pk for m in r) for r in results} == {
        tuple(Message.objects.order_by("channel").values_list("pk", flat=True))
    }
