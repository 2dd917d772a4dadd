"""The conversation on a ticket: replies, notes, status, reopening after a
solve, follow-up tickets, idempotent intake."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import selectors, services
from patron.service.models import AgentProfile, Ticket, TicketEntry, TicketStatus
from patron.service.services import conversation
from patron.service.tests.conftest import NOON

pytestmark = pytest.mark.django_db


def _open(shop: Shop, member: Member) -> Ticket:
    return services.ticket_open(
        shop=shop, channel="chat", subject="发货", body="何时发货", member=member
    )


def _kinds(ticket: Ticket) -> list[str]:
    return [e.kind for e in selectors.ticket_timeline(ticket)]


def test_the_first_reply_answers_and_opens_the_ticket(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = _open(shop, member)
    clock.advance(dt.timedelta(minutes=3))
    services.agent_reply(ticket=ticket, agent=agent, body="今天发")
    clock.advance(dt.timedelta(minutes=3))
    services.agent_reply(ticket=ticket, agent=agent, body="已发出", status="pending")
    ticket.refresh_from_db()
    assert ticket.first_response_at == NOON + dt.timedelta(minutes=3)
    assert ticket.last_reply_at == NOON + dt.timedelta(minutes=6)
    assert ticket.status == TicketStatus.PENDING
    assert _kinds(ticket) == ["member", "reply", "status", "reply", "status"]
    statuses = [e.data for e in selectors.ticket_timeline(ticket) if e.kind == "status"]
    assert [(s["from"], s["to"]) for s in statuses] == [("new", "open"), ("open", "pending")]


def test_the_member_writing_puts_a_pending_ticket_back_to_open(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = _open(shop, member)
    services.agent_reply(ticket=ticket, agent=agent, body="请提供订单号", status="pending")
    clock.advance(dt.timedelta(hours=1))
    same = services.member_writes(ticket=ticket, body="订单 A100")
    assert (same.pk, same.status) == (ticket.pk, TicketStatus.OPEN)
    assert same.last_member_message_at == NOON + dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("after", "reopens"),
    [(dt.timedelta(days=7), True), (dt.timedelta(days=7, seconds=1), False)],
)
def test_a_solved_ticket_reopens_within_seven_days_else_a_new_one_follows(
    shop: Shop, member: Member, agent: AgentProfile, after: dt.timedelta, reopens: bool
) -> None:
    ticket = _open(shop, member)
    services.ticket_status_set(ticket=ticket, status="solved", agent=agent)
    clock.advance(after)
    landed = services.member_writes(ticket=ticket, body="还有个问题")
    ticket.refresh_from_db()
    if reopens:
        assert (landed.pk, landed.status, landed.solved_at) == (ticket.pk, "open", None)
        assert Ticket.objects.count() == 1
    else:
        assert landed.pk != ticket.pk
        assert (landed.follows, landed.status, landed.number) == (ticket, "new", 2)
        assert ticket.status == TicketStatus.SOLVED
        assert [e.body for e in selectors.ticket_timeline(landed)] == ["还有个问题"]


def test_a_closed_ticket_is_never_reopened_or_replied_to(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = _open(shop, member)
    services.ticket_status_set(ticket=ticket, status="closed", agent=agent)
    assert services.member_writes(ticket=ticket, body="在吗").follows == ticket
    with pytest.raises(PatronError) as refused:
        services.agent_reply(ticket=ticket, agent=agent, body="在")
    assert refused.value.field == "ticket"
    with pytest.raises(PatronError) as refused:
        services.ticket_status_set(ticket=ticket, status="open", agent=agent)
    assert refused.value.field == "status"


def test_a_message_seen_before_is_recorded_once(shop: Shop, member: Member) -> None:
    ticket = _open(shop, member)
    for _ in range(2):
        services.member_writes(ticket=ticket, body="图片", channel="social", external_id="wx-1")
    assert TicketEntry.objects.filter(external_id="wx-1").count() == 1


def test_notes_are_internal_and_do_not_answer(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = _open(shop, member)
    sent: list[TicketEntry] = []
    services.reply_sender_register(sent.append)
    try:
        services.agent_note(ticket=ticket, agent=agent, body="老客户，优先处理")
        ticket.refresh_from_db()
        assert (ticket.first_response_at, ticket.status, sent) == (None, "new", [])
        reply = services.agent_reply(ticket=ticket, agent=agent, body="您好")
        assert sent == [reply]
    finally:
        conversation.reply_senders.remove(sent.append)


def test_an_agent_of_another_shop_is_refused(
    shop: Shop, member: Member, agent: AgentProfile
) -> None:
    ticket = _open(shop, member)
    agent.shop = Shop.objects.create(name="别家")
    agent.save()
    with pytest.raises(PatronError) as refused:
        services.agent_reply(ticket=ticket, agent=agent, body="hi")
    assert refused.value.status == 403
    assert _kinds(ticket) == ["member"]
