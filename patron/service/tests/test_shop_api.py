"""The shop API of the service desk: tickets (list, read, create, reply) and
social messages; scopes, problem+json naming the field, idempotency."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import ApiScope, Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import Attachment, Ticket, TicketEntry
from patron.service.tests.conftest import NOON
from patron.service.tests.desk_helpers import PNG, agent, team, ticket

pytestmark = pytest.mark.django_db

MESSAGE = {
    "channel": "wechat",
    "message_id": "wx-1",
    "sender_id": "oAbC123",
    "sender_name": "小李",
    "text": "我的快递到哪了？",
}


@pytest.fixture
def service_api(make_api: Any) -> Any:
    return make_api(ApiScope.SERVICE)


ENDPOINTS: list[tuple[str, str, Any]] = [
    ("get", "/api/v1/service/tickets", None),
    ("get", "/api/v1/service/tickets/1", None),
    ("post", "/api/v1/service/tickets", {}),
    ("post", "/api/v1/service/tickets/1/replies", {}),
    ("post", "/api/v1/service/messages", {}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_every_endpoint_needs_the_service_scope(
    make_api: Any, method: str, path: str, body: Any
) -> None:
    other = make_api(ApiScope.MEMBERS_READ, ApiScope.WEBHOOKS)
    response = getattr(other, method)(path, body) if body is not None else other.get(path)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert "service" in response.json()["detail"]


def test_a_social_message_opens_a_ticket_and_the_same_id_is_one_entry(service_api: Any) -> None:
    first = service_api.post("/api/v1/service/messages", MESSAGE)
    assert first.status_code == 201, first.json()
    body = first.json()
    assert body["ticket"]["channel"] == "social"
    assert body["ticket"]["contact"] == {
        "channel": "social",
        "handle": "wechat:oAbC123",
        "name": "小李",
    }
    assert body["ticket"]["subject"] == "我的快递到哪了？"
    assert body["entry"]["message_id"] == "wechat:wx-1"

    again = service_api.post("/api/v1/service/messages", MESSAGE)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == body
    assert TicketEntry.objects.count() == 1

    # the next message of the sender continues the open ticket
    later = service_api.post(
        "/api/v1/service/messages", {**MESSAGE, "message_id": "wx-2", "text": "还没收到"}
    )
    assert later.json()["ticket"]["number"] == body["ticket"]["number"]
    assert Ticket.objects.count() == 1
    assert TicketEntry.objects.count() == 2
    # the same message id on another channel is another message
    weibo = service_api.post("/api/v1/service/messages", {**MESSAGE, "channel": "weibo"})
    assert weibo.json()["ticket"]["number"] != body["ticket"]["number"]


def test_a_message_with_a_base64_image_and_a_known_member(service_api: Any, member: Member) -> None:
    payload = {
        **MESSAGE,
        "member": "m1",
        "attachments": [{"name": "box.png", "content_base64": base64.b64encode(PNG).decode()}],
    }
    response = service_api.post("/api/v1/service/messages", payload)
    assert response.status_code == 201, response.json()
    assert response.json()["ticket"]["member"] == "m1"
    (attachment,) = response.json()["entry"]["attachments"]
    assert (attachment["name"], attachment["content_type"], attachment["size"]) == (
        "box.png",
        "image/png",
        len(PNG),
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"channel": "We Chat"}, "channel"),
        ({"text": ""}, "text"),
        ({"message_id": ""}, "message_id"),
        ({"sender_id": ""}, "sender_id"),
        ({"member": "nobody"}, "member"),
        (
            {"attachments": [{"name": "a.png", "content_base64": "%%%"}]},
            "attachments[0].content_base64",
        ),
        (
            {
                "attachments": [
                    {"name": "a.png", "content_base64": base64.b64encode(b"MZ").decode()}
                ]
            },
            "attachments[0]",
        ),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_message_is_a_problem_naming_the_field_and_saves_nothing(
    service_api: Any, member: Member, change: dict[str, Any], field: str
) -> None:
    response = service_api.post("/api/v1/service/messages", {**MESSAGE, **change})
    assert response.status_code == 422, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["field"] == field
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_tickets_list_filters_and_pages(service_api: Any, shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    other = Member.objects.create(
        shop=shop,
        external_id="m2",
        name="韩梅梅",
        registered_at=NOON,
        created_at=NOON,
        updated_at=NOON,
    )
    tickets = [ticket(shop, member, pre, f"t{i}") for i in range(3)]
    ticket(shop, other, pre, "other")
    clock.freeze(NOON + dt.timedelta(hours=1))
    services.agent_reply(ticket=tickets[0], agent=wang, body="on it", status="pending")

    page = service_api.get("/api/v1/service/tickets", member="m1", limit=2).json()
    assert [t["subject"] for t in page["items"]] == ["t2", "t1"]
    rest = service_api.get(
        "/api/v1/service/tickets", member="m1", limit=2, before=page["next_before"]
    ).json()
    assert ([t["subject"] for t in rest["items"]], rest["next_before"]) == (["t0"], None)

    pending = service_api.get("/api/v1/service/tickets", status="pending").json()
    assert [t["subject"] for t in pending["items"]] == ["t0"]
    since = service_api.get("/api/v1/service/tickets", updated_since="2026-12-03T12:30:00Z").json()
    assert [t["subject"] for t in since["items"]] == ["t0"]

    bad = service_api.get("/api/v1/service/tickets", status="lost")
    assert (bad.status_code, bad.json()["field"]) == (422, "status")
    naive = service_api.get("/api/v1/service/tickets", updated_since="2026-12-03T12:30:00")
    assert (naive.status_code, naive.json()["field"]) == (422, "updated_since")


def test_a_ticket_reads_with_its_timeline_and_notes_flagged_internal(
    service_api: Any, shop: Shop, member: Member
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre, "尺码")
    services.agent_note(ticket=t, agent=wang, body="check stock")
    services.agent_reply(ticket=t, agent=wang, body="有货")

    body = service_api.get(f"/api/v1/service/tickets/{t.number}").json()
    assert (body["reference"], body["status"], body["member"]) == (f"T{t.number}", "open", "m1")
    assert [(e["kind"], e["internal"], e["text"]) for e in body["timeline"]] == [
        ("member", False, "hello"),
        ("note", True, "check stock"),
        ("reply", False, "有货"),
        ("status", False, ""),
    ]
    missing = service_api.get("/api/v1/service/tickets/999")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_another_shops_ticket_is_not_found(service_api: Any, member: Member) -> None:
    elsewhere = Shop.objects.create(name="别家")
    stranger = Member.objects.create(
        shop=elsewhere,
        external_id="x",
        name="x",
        registered_at=NOON,
        created_at=NOON,
        updated_at=NOON,
    )
    t = services.ticket_open(shop=elsewhere, channel="chat", subject="s", body="b", member=stranger)
    assert service_api.get(f"/api/v1/service/tickets/{t.number}").status_code == 404
    assert service_api.get("/api/v1/service/tickets").json()["items"] == []


def test_the_shop_opens_a_ticket_once_per_message_id(service_api: Any, member: Member) -> None:
    payload = {
        "member": "m1",
        "subject": "发票",
        "text": "请开发票",
        "topic": "other",
        "priority": "high",
        "message_id": "req-7",
        "attachments": [{"name": "order.png", "content_base64": base64.b64encode(PNG).decode()}],
    }
    first = service_api.post("/api/v1/service/tickets", payload)
    assert first.status_code == 201, first.json()
    assert (first.json()["channel"], first.json()["priority"]) == ("portal", "high")
    assert len(first.json()["timeline"][0]["attachments"]) == 1
    again = service_api.post("/api/v1/service/tickets", payload)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json()["number"] == first.json()["number"]
    assert Ticket.objects.count() == 1

    by_key = service_api.post(
        "/api/v1/service/tickets",
        {**payload, "message_id": ""},
        headers={"Idempotency-Key": "k1"},
    )
    replay = service_api.post(
        "/api/v1/service/tickets",
        {**payload, "message_id": ""},
        headers={"Idempotency-Key": "k1"},
    )
    assert replay.json() == by_key.json()
    assert Ticket.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member": "nobody"}, "member"),
        ({"subject": ""}, "subject"),
        ({"topic": "weather"}, "topic"),
        ({"channel": "email"}, "channel"),
    ],
)
def test_a_bad_ticket_is_refused_naming_the_field(
    service_api: Any, member: Member, change: dict[str, Any], field: str
) -> None:
    payload = {"member": "m1", "subject": "s", "text": "t", **change}
    response = service_api.post("/api/v1/service/tickets", payload)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not Ticket.objects.exists()


def test_the_shop_replies_and_notes_as_an_agent(
    service_api: Any, shop: Shop, member: Member
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    path = f"/api/v1/service/tickets/{t.number}/replies"

    reply = service_api.post(path, {"agent_id": wang.pk, "text": "已处理", "status": "solved"})
    assert reply.status_code == 201, reply.json()
    assert (reply.json()["kind"], reply.json()["author"], reply.json()["internal"]) == (
        "reply",
        "wang",
        False,
    )
    note = service_api.post(path, {"agent_id": wang.pk, "text": "内部", "internal": True})
    assert note.json()["internal"] is True
    t.refresh_from_db()
    assert t.status == "solved"

    for body, field in [
        ({"agent_id": 999, "text": "x"}, "agent_id"),
        ({"agent_id": wang.pk, "text": ""}, "text"),
        ({"agent_id": wang.pk, "text": "x", "internal": True, "status": "open"}, "status"),
        ({"agent_id": wang.pk, "text": "x", "status": "new"}, "status"),
    ]:
        refused = service_api.post(path, body)
        assert (refused.status_code, refused.json()["field"]) == (422, field), body
    assert t.entries.filter(kind__in=["reply", "note"]).count() == 2
    missing = service_api.post(
        "/api/v1/service/tickets/999/replies", {"agent_id": wang.pk, "text": "x"}
    )
    assert missing.status_code == 404
