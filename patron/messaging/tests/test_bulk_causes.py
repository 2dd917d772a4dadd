"""A bulk send where each member has their own cause: a batch of events
tells each member about their own event in one call, and stays idempotent
per event."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import services
from patron.messaging.models import Message
from patron.messaging.tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _send(members: list[Member], event_of: dict[int, str]) -> int:
    return services.messages_send_bulk(
        kind="test.tier_upgraded",
        cause=lambda m: f"tier.upgraded:{event_of[m.pk]}",
        members=members,
        context=lambda m: {"tier": event_of[m.pk]},
        channels=["inapp"],
    )


def test_each_member_gets_their_own_cause_once(shop: Shop) -> None:
    members = [make_member(shop, n) for n in range(1, 6)]
    event_of = {m.pk: f"evt-{m.pk}" for m in members}
    assert _send(members, event_of) == 5
    rows = dict(Message.objects.values_list("member_id", "cause"))
    assert rows == {m.pk: f"tier.upgraded:evt-{m.pk}" for m in members}
    # the same batch again (a retried request) sends nothing
    assert _send(members, event_of) == 0
    # a later event of one member is a new message; the others' are not repeated
    event_of[members[0].pk] = "evt-later"
    assert _send(members, event_of) == 1
    assert Message.objects.count() == 6


def test_a_member_listed_twice_gets_one_message(shop: Shop) -> None:
    member = make_member(shop, 1)
    assert _send([member, member], {member.pk: "evt-1"}) == 1


def _reads(captured: CaptureQueriesContext) -> int:
    return sum(1 for q in captured.captured_queries if not q["sql"].startswith("INSERT"))


def test_a_batch_costs_the_same_queries_for_ten_members_or_forty(shop: Shop) -> None:
    warm = [make_member(shop, 1)]
    _send(warm, {m.pk: "warm" for m in warm})  # the shop's settings row made once
    few = [make_member(shop, n) for n in range(2, 12)]
    many = [make_member(shop, n) for n in range(12, 52)]
    with CaptureQueriesContext(connection) as first:
        _send(few, {m.pk: f"e{m.pk}" for m in few})
    with CaptureQueriesContext(connection) as second:
        _send(many, {m.pk: f"e{m.pk}" for m in many})
    # reads and checks do not grow with the members (SQLite splits a long
    # INSERT into several by its limit on parameters; PostgreSQL does not)
    assert _reads(second) == _reads(first)
