"""The assistant as first responder on social channels: a confident answer
goes out through the ticket's reply path and solves it; an unsure one hands
the ticket to the desk with the note; once a person is on the ticket the
assistant stays silent."""

from __future__ import annotations

import pytest

from patron.assistant.models import Asked, Entry, Outcome
from patron.core.models import Shop
from patron.service import services as service_services
from patron.service.models import EntryKind, TicketStatus

pytestmark = pytest.mark.django_db


def receive(shop: Shop, text: str, message_id: str):  # type: ignore[no-untyped-def]
    return service_services.social_message_receive(
        shop=shop, channel_name="wechat", sender_id="wx-1", message_id=message_id, text=text
    )


def test_a_confident_answer_is_replied_on_the_channel_and_solves_the_ticket(
    shop: Shop, kb: list[Entry]
) -> None:
    received = receive(shop, "积分怎么获得", "m1")
    ticket = received.ticket
    ticket.refresh_from_db()
    reply = ticket.entries.get(kind=EntryKind.REPLY)
    assert (reply.body, reply.author, reply.data) == (
        "每消费 1 元得 1 积分。",
        None,
        {"automated": True},
    )
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.first_response_at is None  # the desk's SLA waits for a person
    asked = Asked.objects.get()
    assert (asked.channel, asked.outcome, asked.entry) == ("social", Outcome.ANSWERED, kb[1])


def test_an_unsure_question_is_handed_to_the_desk_and_then_left_alone(
    shop: Shop, kb: list[Entry]
) -> None:
    ticket = receive(shop, "积分怎么", "m1").ticket
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()
    note = ticket.entries.get(kind=EntryKind.NOTE)
    assert "points-earn" in note.body and "points-use" in note.body
    assert Asked.objects.get().ticket == ticket
    assert Asked.objects.get().outcome == Outcome.HANDED_OFF
    receive(shop, "积分怎么获得", "m2")  # now a person's: no second answer
    assert Asked.objects.count() == 1
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()


def test_asking_for_a_person_hands_over_without_asking(shop: Shop, kb: list[Entry]) -> None:
    ticket = receive(shop, "转人工", "m1").ticket
    assert ticket.entries.filter(kind=EntryKind.NOTE).count() == 1
    assert not ticket.entries.filter(kind=EntryKind.REPLY).exists()
    assert Asked.objects.count() == 0


def test_a_message_too_long_for_the_assistant_still_lands_for_the_desk(
    shop: Shop, kb: list[Entry]
) -> None:
    ticket = receive(shop, "积分" * 400, "m1").ticket
    assert ticket.entries.get().kind == EntryKind.MEMBER_MESSAGE
    assert Asked.objects.count() == 0


def test_a_replayed_message_is_answered_once(shop: Shop, kb: list[Entry]) -> None:
    receive(shop, "积分怎么获得", "m1")
    again = receive(shop, "积分怎么获得", "m1")
    assert not again.created
    assert Asked.objects.count() == 1


def test_a_shop_without_a_knowledge_base_keeps_its_desk_as_it_was(shop: Shop) -> None:
    ticket = receive(shop, "积分怎么获得", "m1").ticket
    assert ticket.entries.get().kind == EntryKind.MEMBER_MESSAGE
    assert Asked.objects.count() == 0
