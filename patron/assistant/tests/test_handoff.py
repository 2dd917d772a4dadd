"""Hand-off: 转人工 opens (or continues) the member's chat ticket with their
last question, and an internal note with the conversation so far and the
candidates; the questions are marked handed off with the ticket."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.assistant import services
from patron.assistant.handoff import handoff, wants_person
from patron.assistant.models import Asked, Entry, Outcome
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import EntryKind, Ticket, TicketEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("转人工", True),
        ("轉人工", True),
        ("人工", True),
        ("请转人工客服", True),
        ("human", True),
        ("Agent please", True),
        ("I want to talk to a person", True),
        ("人工智能是什么", False),
        ("my agent code", False),
        ("积分怎么获得", False),
    ],
)
def test_asking_for_a_person_is_recognised(text: str, wanted: bool) -> None:
    assert wants_person(text) is wanted


def test_handoff_opens_a_chat_ticket_with_the_transcript_note(
    shop: Shop, member: Member, kb: list[Entry]
) -> None:
    answered = services.ask(shop=shop, text="积分怎么获得", member=member)
    clock.advance(dt.timedelta(minutes=1))
    vague = services.ask(shop=shop, text="积分怎么", member=member)
    assert (answered.outcome, vague.outcome) == ("answered", "unsure")
    clock.advance(dt.timedelta(minutes=1))

    ticket = handoff(member=member, text="转人工")

    assert (ticket.channel, ticket.member_id, ticket.subject) == ("chat", member.pk, "积分怎么")
    message, note = TicketEntry.objects.filter(ticket=ticket).order_by("pk")
    assert (message.kind, message.body) == (EntryKind.MEMBER_MESSAGE, "积分怎么")
    assert note.kind == EntryKind.NOTE and note.author is None
    first, second = Asked.objects.order_by("pk")
    assert note.body.splitlines() == [
        "智能助手已转人工。会员问过的问题：",
        f"12:00 · 积分怎么获得 · {first.confidence:.2f} · 已用 points-earn 回答",
        f"12:01 · 积分怎么 · {second.confidence:.2f} · 不确定；已提供 "
        + ", ".join(
            f"{c['key']} ({c['question']})"
            for c in vague.candidates  # type: ignore[index]
        ),
    ]
    assert note.data["assistant"]["asked"] == [answered.asked_id, vague.asked_id]
    rows = Asked.objects.order_by("pk")
    assert [(a.outcome, a.ticket_id) for a in rows] == [(Outcome.HANDED_OFF, ticket.pk)] * 2


def test_a_second_handoff_continues_the_open_ticket_with_only_the_new_questions(
    shop: Shop, member: Member, kb: list[Entry]
) -> None:
    services.ask(shop=shop, text="积分怎么", member=member)
    first = handoff(member=member, text="转人工")
    clock.advance(dt.timedelta(minutes=5))
    later = services.ask(shop=shop, text="How do I return an item?", member=member)
    again = handoff(member=member, text="I still need a person", language="en")
    assert again.pk == first.pk and Ticket.objects.count() == 1
    note = TicketEntry.objects.filter(ticket=first, kind=EntryKind.NOTE).order_by("-pk").first()
    assert note is not None
    assert note.body.splitlines() == [
        "The assistant handed this conversation over. What the member asked:",
        f"12:05 · How do I return an item? · {Asked.objects.get(pk=later.asked_id).confidence:.2f}"
        " · answered with returns-how",
    ]
    assert Asked.objects.get(pk=later.asked_id).ticket_id == first.pk


def test_handoff_without_questions_writes_the_request(shop: Shop, member: Member) -> None:
    ticket = handoff(member=member, text="", language="en")
    assert ticket.entries.filter(kind=EntryKind.MEMBER_MESSAGE).get().body == (
        "I would like to talk to a person."
    )
    assert "(no questions before the request)" in ticket.entries.get(kind=EntryKind.NOTE).body


def test_another_members_questions_never_reach_the_note(
    shop: Shop, member: Member, other: Member, kb: list[Entry]
) -> None:
    services.ask(shop=shop, text="积分怎么使用", member=other)
    ticket = handoff(member=member, text="转人工")
    assert "积分怎么使用" not in ticket.entries.get(kind=EntryKind.NOTE).body
    assert Asked.objects.get().ticket is None
