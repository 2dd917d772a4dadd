"""Order changes before shipment: refused once shipped (field named, nothing
saved or sent), a signed ``order.change_requested`` webhook, the shop's
answer by event or API, and the member told in their inbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.models import Message, WebhookDelivery, WebhookSubscription
from patron.messaging.webhooks import services as webhook_services
from patron.messaging.webhooks.signing import HEADER, verify_signature
from patron.points.tests.conftest import Sender
from patron.service import services
from patron.service.models import OrderChangeRequest, TicketEntry
from patron.service.tests.returns_helpers import DAY, earning, paid_order

pytestmark = pytest.mark.django_db
URL = "/api/v1/service/order-changes"


@pytest.fixture
def hook(shop: Shop) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        shop=shop,
        url="https://shop.example/hooks",
        event_types=["order.*"],
        secret="k3y",
        created_at=clock.now(),
    )


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return paid_order(shop, member)


def ask(member: Member, **kw: Any) -> OrderChangeRequest:
    args: dict[str, Any] = {
        "member": member,
        "order_id": "O1",
        "kind": "address",
        "value": "上海市徐汇区漕溪北路 1 号",
    }
    args.update(kw)
    return services.order_change_request(**args)


def test_a_change_is_sent_to_the_shop_signed(shop, member, order, hook, monkeypatch):
    change = ask(member)
    delivery = WebhookDelivery.objects.get(subscription=hook)
    assert delivery.event_type == "order.change_requested"
    assert delivery.payload == {
        "change_id": change.pk,
        "order_id": "O1",
        "member": "m1",
        "kind": "address",
        "value": "上海市徐汇区漕溪北路 1 号",
        "requested_by": "member",
    }
    sent: dict[str, Any] = {}

    def post(url: str, *, content: bytes, headers: dict[str, str], **kw: Any) -> Any:
        sent.update(body=content, headers=headers)
        return type("R", (), {"status_code": 204, "text": ""})()

    monkeypatch.setattr(webhook_services, "refusal", lambda url: None)
    monkeypatch.setattr(webhook_services.httpx, "post", post)
    webhook_services.webhook_deliver(delivery.pk)
    stamp = int(clock.now().timestamp())
    assert verify_signature(sent["headers"][HEADER], sent["body"], ["k3y"], now=stamp) == stamp
    assert json.loads(sent["body"])["data"]["change_id"] == change.pk


def test_the_shops_answer_event_is_recorded_and_the_member_told(shop, member, order, agent):
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="改地址", body="改地址", member=member
    )
    change = ask(member, agent=agent, ticket=ticket, kind="phone", value="13800000000")
    send = Sender(shop)
    result = send(
        "order.change_answered",
        "m1",
        {"order_id": "O1", "change_id": change.pk, "accepted": False, "reason": "已打包"},
    )
    assert {"type": "order.change_answered", "change_id": change.pk, "state": "refused"} in (
        result["effects"]
    )
    change.refresh_from_db()
    assert (change.state, change.shop_reason) == ("refused", "已打包")
    message = Message.objects.get(member=member, kind="service.order_change_answered")
    assert "已打包" in message.body_text
    actions = TicketEntry.objects.filter(ticket=ticket, kind="action").order_by("pk")
    assert [e.data["action"] for e in actions] == [
        "order_change.requested",
        "order_change.refused",
    ]
    # The same answer again is recorded once; a contrary one is refused.
    send(
        "order.change_answered", "m1", {"order_id": "O1", "change_id": change.pk, "accepted": False}
    )
    assert Message.objects.filter(member=member, kind="service.order_change_answered").count() == 1
    with pytest.raises(PatronError) as contrary:
        services.order_change_answer(change=change, accepted=True)
    assert contrary.value.code == "invalid_transition"


def test_an_answer_to_an_unknown_change_names_the_field(shop, member, order):
    with pytest.raises(PatronError) as refused:
        Sender(shop)(
            "order.change_answered", "m1", {"order_id": "O1", "change_id": 999, "accepted": True}
        )
    assert refused.value.field == "data.change_id"


def test_a_shipped_order_can_no_longer_change(shop, member, order, hook):
    Sender(shop)("order.shipped", "m1", {"order_id": "O1"}, at=clock.now() - DAY)
    with pytest.raises(PatronError) as refused:
        ask(member, kind="cancel", value="")
    assert refused.value.field == "order_id"
    assert OrderChangeRequest.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "colour"}, "kind"),
        ({"value": " "}, "value"),
        ({"order_id": "O404"}, "order_id"),
    ],
)
def test_bad_input_names_the_field_and_sends_nothing(member, order, hook, kw, field):
    with pytest.raises(PatronError) as refused:
        ask(member, **kw)
    assert refused.value.field == field
    assert (OrderChangeRequest.objects.count(), WebhookDelivery.objects.count()) == (0, 0)


def test_cancel_needs_no_value(member, order):
    assert ask(member, kind="cancel", value="").state == "requested"


def test_the_api_asks_and_answers(api, member, order):
    made = api.post(
        URL, {"member": "m1", "order_id": "O1", "kind": "delivery_time", "value": "周六上午"}
    )
    assert made.status_code == 201, made.content
    change_id = made.json()["id"]
    answered = api.post(f"{URL}/{change_id}/answer", {"accepted": True})
    assert answered.status_code == 200 and answered.json()["state"] == "accepted"
    assert api.get(f"{URL}/{change_id}").json()["state"] == "accepted"
    contrary = api.post(f"{URL}/{change_id}/answer", {"accepted": False})
    assert (contrary.status_code, contrary.json()["field"]) == (409, "accepted")
    bad = api.post(URL, {"member": "m1", "order_id": "O1", "kind": "colour"})
    assert (bad.status_code, bad.json()["field"]) == (422, "kind")
    assert api.get(f"{URL}/9999").status_code == 404


def test_the_api_refuses_a_shipped_order(api, shop, member, order):
    Sender(shop)("order.shipped", "m1", {"order_id": "O1"}, at=clock.now() - DAY)
    answer = api.post(URL, {"member": "m1", "order_id": "O1", "kind": "address", "value": "x"})
    assert (answer.status_code, answer.json()["field"]) == (422, "order_id")
    assert OrderChangeRequest.objects.count() == 0
