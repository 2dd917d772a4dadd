"""The portal chat's reads and write: which ticket a member's message lands
on, what they see of it, their place in the queue and the promised reply time."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.chat_selectors import chat_state
from patron.service.models import (
    AgentProfile,
    SlaPolicy,
    Team,
    Ticket,
    TicketEntry,
    TicketStatus,
)
from patron.service.tests.conftest import NOON

pytestmark = pytest.mark.django_db


def _member(shop: Shop, external_id: str) -> Member:
    return Member.objects.create(
        shop=shop,
        external_id=external_id,
        name=external_id,
        registered_at=NOON,
        created_at=NOON,
        updated_at=NOON,
    )


def test_the_first_message_opens_a_chat_ticket_and_the_next_continues_it(
    shop: Shop, member: Member
) -> None:
    first = services.chat_member_writes(member=member, body="  我的订单什么时候发货？  ")
    clock.advance(dt.timedelta(minutes=1))
    second = services.chat_member_writes(member=member, body="还在吗")
    assert second.pk == first.pk
    assert first.channel == "chat" and first.status == TicketStatus.NEW
    assert first.subject == "我的订单什么时候发货？"
    assert list(TicketEntry.objects.filter(ticket=first).values_list("body", flat=True)) == [
        "我的订单什么时候发货？",
        "还在吗",
    ]


def test_a_resent_form_records_the_message_once(shop: Shop, member: Member) -> None:
    services.chat_member_writes(member=member, body="你好", message_id="abc")
    services.chat_member_writes(member=member, body="你好", message_id="abc")
    services.chat_member_writes(member=member, body="在吗", message_id="def")
    assert Ticket.objects.count() == 1
    assert TicketEntry.objects.filter(kind="member").count() == 2


def test_an_empty_message_names_the_field_and_saves_nothing(shop: Shop, member: Member) -> None:
    with pytest.raises(PatronError) as caught:
        services.chat_member_writes(member=member, body="   ")
    assert caught.value.field == "body"
    assert not Ticket.objects.exists()


def test_after_a_closed_chat_the_member_starts_a_new_one(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    old = services.chat_member_writes(member=member, body="一")
    services.ticket_status_set(ticket=old, status="closed", agent=agent)
    new = services.chat_member_writes(member=member, body="二")
    assert new.pk != old.pk
    state = chat_state(member=member)
    assert state["ticket"].pk == new.pk
    assert [e.body for e in state["entries"]] == ["二"]


def test_the_member_sees_messages_and_replies_but_never_notes(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = services.chat_member_writes(member=member, body="问")
    services.agent_note(ticket=ticket, agent=agent, body="内部备注")
    reply = services.agent_reply(ticket=ticket, agent=agent, body="答")
    state = chat_state(member=member)
    assert [(e.kind, e.body) for e in state["entries"]] == [("member", "问"), ("reply", "答")]
    # only what came after the last entry the page has
    assert [e.pk for e in chat_state(member=member, since=reply.pk - 1)["entries"]] == [reply.pk]
    assert chat_state(member=member, since=reply.pk)["entries"] == []


def test_position_counts_earlier_unanswered_chats_of_the_same_queue(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    vip = Team.objects.create(shop=shop, code="vip", name="VIP", created_at=NOON)
    others = [_member(shop, f"o{i}") for i in range(5)]
    # ahead of the member: two unanswered chats in the unrouted queue
    services.chat_member_writes(member=others[0], body="a")
    clock.advance(dt.timedelta(seconds=10))
    services.chat_member_writes(member=others[1], body="b")
    clock.advance(dt.timedelta(seconds=10))
    # not ahead: one answered, one in another team, one pending
    answered = services.chat_member_writes(member=others[2], body="c")
    services.agent_reply(ticket=answered, agent=agent, body="ok")
    routed = services.chat_member_writes(member=others[3], body="d")
    Ticket.objects.filter(pk=routed.pk).update(team=vip)
    clock.advance(dt.timedelta(seconds=10))
    mine = services.chat_member_writes(member=member, body="我")
    # not ahead either: a chat opened after the member's
    clock.advance(dt.timedelta(seconds=10))
    services.chat_member_writes(member=others[4], body="e")

    state = chat_state(member=member)
    assert state["ticket"].pk == mine.pk
    assert state["waiting"] is True
    assert state["position"] == 3
    assert state["promised"] == NOON + dt.timedelta(seconds=30, minutes=5)
    # the first in the queue is first; a routed ticket counts in its team only
    assert chat_state(member=others[0])["position"] == 1
    assert chat_state(member=others[3])["position"] == 1

    # once an agent answers the first, everyone behind moves up
    services.agent_reply(ticket=Ticket.objects.get(member=others[0]), agent=agent, body="hi")
    assert chat_state(member=member)["position"] == 2


def test_after_a_reply_no_place_and_no_promise_until_the_member_writes_again(
    shop: Shop, member: Member, agent: AgentProfile, settings: object
) -> None:
    ticket = services.chat_member_writes(member=member, body="问")
    services.agent_reply(ticket=ticket, agent=agent, body="答")
    state = chat_state(member=member)
    assert (state["waiting"], state["position"], state["promised"]) == (False, None, None)
    clock.advance(dt.timedelta(minutes=2))
    settings.PATRON_SERVICE_CHAT_REPLY_MINUTES = 3  # type: ignore[attr-defined]
    services.chat_member_writes(member=member, body="追问")
    state = chat_state(member=member)
    # waiting for the next reply: promised, but the queue place is for first answers
    assert state["waiting"] is True
    assert state["position"] is None
    assert state["promised"] == NOON + dt.timedelta(minutes=5)


def test_a_member_without_a_chat_sees_nothing(shop: Shop, member: Member) -> None:
    services.ticket_open(shop=shop, channel="email", subject="s", body="b", member=member)
    assert chat_state(member=member)["ticket"] is None


def test_the_promise_is_the_tickets_sla_due_time_when_it_has_one(
    shop: Shop, member: Member
) -> None:
    SlaPolicy.objects.create(
        shop=shop,
        name="Standard",
        position=10,
        first_response_minutes=7,
        next_response_minutes=11,
        resolution_minutes=600,
    )
    services.chat_member_writes(member=member, body="在吗")
    state = chat_state(member=member)
    # no calendar: round the clock, so due 7 minutes after the message
    assert state["promised"] == NOON + dt.timedelta(minutes=7)
