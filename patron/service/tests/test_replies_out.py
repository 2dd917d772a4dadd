"""Public replies leave on the ticket's channel: a signed ``service.reply``
webhook for social and IM tickets, a message in the portal inbox for chat
tickets of a known member; notes never leave."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core.models import ApiScope, Shop
from patron.members.models import Member
from patron.messaging.models import Message, WebhookDelivery
from patron.messaging.tests.http_server import Reply, local_server
from patron.messaging.webhooks import services as webhooks
from patron.messaging.webhooks import tasks
from patron.messaging.webhooks.signing import verify_signature
from patron.service import services
from patron.service.models import Ticket
from patron.service.services.attachments import Upload
from patron.service.tests.conftest import NOON
from patron.service.tests.desk_helpers import PNG, agent, team, ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings: Any) -> None:
    # the test's receiver listens on 127.0.0.1, which production refuses
    settings.PATRON_WEBHOOK_ALLOW_PRIVATE = True


def test_a_reply_to_a_social_ticket_is_a_signed_webhook(
    shop: Shop, make_api: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    api = make_api(ApiScope.SERVICE)
    number = api.post(
        "/api/v1/service/messages",
        {"channel": "douyin", "message_id": "d-1", "sender_id": "u42", "text": "在吗"},
    ).json()["ticket"]["number"]
    t = Ticket.objects.get(number=number)
    t.team = pre
    t.save()

    with local_server(lambda r: Reply(200, "ok")) as srv:
        _subscription, secret = webhooks.webhook_subscription_create(
            shop=shop, url=srv.url + "/im", event_types=["service.*"], actor=None
        )
        with django_capture_on_commit_callbacks(execute=False):
            entry = services.agent_reply(
                ticket=t, agent=wang, body="在的，请讲", attachments=[Upload("hi.png", PNG)]
            )
            services.agent_note(ticket=t, agent=wang, body="not for the member")
        (delivery,) = WebhookDelivery.objects.all()
        assert (delivery.event_type, delivery.event_id) == (
            "service.reply",
            f"service.reply:{entry.pk}",
        )
        assert tasks.webhook_deliver.call(delivery_id=delivery.pk) == "delivered"

    (received,) = srv.received
    assert received.headers["patron-event"] == "service.reply"
    assert verify_signature(received.headers["patron-signature"], received.body, [secret], now=NOON)
    data = json.loads(received.body)["data"]
    attachment = data.pop("attachments")[0]
    assert (attachment["name"], attachment["content_type"]) == ("hi.png", "image/png")
    assert data == {
        "ticket": number,
        "reference": f"T{number}",
        "reply_id": entry.pk,
        "channel": "douyin",
        "recipient_id": "u42",
        "member": None,
        "text": "在的，请讲",
        "agent": "wang",
        "created_at": "2026-12-03T12:00:00Z",
    }
    # a social reply is not also put in an inbox
    assert not Message.objects.exists()


def test_a_reply_on_a_chat_ticket_reaches_the_members_inbox(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre, "尺码问题", channel="chat")
    webhooks.webhook_subscription_create(
        shop=shop, url="http://127.0.0.1:9/x", event_types=["*"], actor=None
    )
    entry = services.agent_reply(ticket=t, agent=wang, body="M码合适")
    services.agent_note(ticket=t, agent=wang, body="internal")

    (message,) = Message.objects.all()
    assert (message.member_id, message.kind, message.channel, message.cause) == (
        member.pk,
        "service.reply",
        "inapp",
        f"service.reply:{entry.pk}",
    )
    assert message.subject == "客服回复：尺码问题"
    assert message.body_text == "wang：M码合适"
    # chat replies are not webhooks
    assert not WebhookDelivery.objects.filter(event_type="service.reply").exists()


def test_email_tickets_are_left_to_the_email_channel(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre, channel="email")
    services.agent_reply(ticket=t, agent=wang, body="hi")
    assert not Message.objects.filter(kind="service.reply").exists()
