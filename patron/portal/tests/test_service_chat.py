"""Contact service in the portal: the member writes, sees the conversation and
polls for the agent's reply; the poll is cheap and pinned."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services as service_services
from patron.service.models import AgentProfile, Ticket, TicketEntry

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
# The session, the member and their credential (sign-in), then the ticket
# (with its place in the queue as a subquery) and the entries after ``since``.
POLL_QUERIES = 5


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.freeze(NOON)


@pytest.fixture
def agent(shop: Shop) -> AgentProfile:
    user = User.objects.create_user("agent-chat", password="x" * 12)
    return AgentProfile.objects.create(shop=shop, user=user, display_name="小王", created_at=NOON)


def _mid(page: str) -> str:
    match = re.search(r'name="mid" value="([0-9a-f]+)"', page)
    assert match is not None
    return match.group(1)


def test_the_member_writes_and_sees_their_place_and_the_promised_time(
    member_client: Client, member: Member
) -> None:
    first = member_client.get("/service/chat/")
    assert first.status_code == 200
    assert 'data-testid="chat-empty"' in first.content.decode()
    response = member_client.post(
        "/service/chat/", {"body": "订单还没发货", "mid": _mid(first.content.decode())}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get(member=member)
    assert ticket.channel == "chat"
    member_client.cookies["django_language"] = "en"
    page = member_client.get("/service/chat/").content.decode()
    assert "订单还没发货" in page
    assert "You are number 1 in the queue. We will reply by 12:05." in page
    member_client.cookies["django_language"] = "zh-hans"
    zh = member_client.get("/service/chat/").content.decode()
    assert "您正在排队，当前第 1 位。 我们将在 12:05 前回复您。" in zh


def test_a_double_submitted_message_is_recorded_once(member_client: Client, member: Member) -> None:
    mid = _mid(member_client.get("/service/chat/").content.decode())
    for _ in range(2):
        member_client.post("/service/chat/", {"body": "你好", "mid": mid})
    assert TicketEntry.objects.filter(ticket__member=member).count() == 1


def test_an_empty_message_is_refused_beside_the_field(
    member_client: Client, member: Member
) -> None:
    response = member_client.post("/service/chat/", {"body": "  ", "mid": "x"})
    assert response.status_code == 422
    assert 'data-testid="chat-error"' in response.content.decode()
    assert not Ticket.objects.exists()


def test_the_poll_brings_the_reply_but_not_the_note(
    member_client: Client, member: Member, agent: AgentProfile
) -> None:
    member_client.post("/service/chat/", {"body": "在吗", "mid": "a1"})
    first = member_client.get("/service/chat/poll.json?since=0").json()
    assert [e["body"] for e in first["entries"]] == ["在吗"]
    assert first["position"] == 1 and first["waiting"] is True
    last = first["entries"][-1]["id"]
    ticket = Ticket.objects.get(member=member)
    service_services.agent_note(ticket=ticket, agent=agent, body="内部")
    clock.advance(dt.timedelta(minutes=1))
    service_services.agent_reply(ticket=ticket, agent=agent, body="您好，请讲")
    data = member_client.get(f"/service/chat/poll.json?since={last}").json()
    assert [(e["author"], e["body"], e["time"], e["mine"]) for e in data["entries"]] == [
        ("小王", "您好，请讲", "12:01", False)
    ]
    assert (data["waiting"], data["position"], data["promised"], data["notice"]) == (
        False,
        None,
        None,
        "",
    )
    # nonsense in ``since`` reads as from the start, never a 500
    assert len(member_client.get("/service/chat/poll.json?since=x").json()["entries"]) == 2


def test_the_poll_needs_a_signed_in_member(client: Client) -> None:
    assert client.get("/service/chat/poll.json").status_code == 302
    assert client.get("/service/chat/").status_code == 302


def test_a_member_sees_only_their_own_chat(
    member_client: Client, member: Member, shop: Shop
) -> None:
    other = Member.objects.create(
        shop=shop, external_id="M9", registered_at=NOON, created_at=NOON, updated_at=NOON
    )
    service_services.chat_member_writes(member=other, body="别人的秘密")
    data = member_client.get("/service/chat/poll.json").json()
    assert data["ticket"] is None and data["entries"] == []


@pytest.mark.parametrize("messages", [1, 20])
def test_the_poll_costs_a_fixed_number_of_queries(
    member_client: Client, member: Member, agent: AgentProfile, messages: int
) -> None:
    ticket = service_services.chat_member_writes(member=member, body="一")
    for i in range(messages):
        service_services.agent_reply(ticket=ticket, agent=agent, body=f"回复 {i}")
        service_services.chat_member_writes(member=member, body=f"追问 {i}")
    member_client.get("/service/chat/poll.json")  # warms per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = member_client.get("/service/chat/poll.json?since=0")
    assert response.status_code == 200
    assert len(response.json()["entries"]) == 1 + 2 * messages
    assert len(captured.captured_queries) == POLL_QUERIES, [
        q["sql"][:80] for q in captured.captured_queries
    ]
