"""Returns and exchanges: every state, every refusal (field named, nothing
saved), the refund webhook signed, and the shop's refund reversing the
points of the refunded lines."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.messaging.models import Message, WebhookDelivery, WebhookSubscription
from patron.messaging.webhooks import services as webhook_services
from patron.messaging.webhooks.signing import HEADER, verify_signature
from patron.points.models import EntryKind as PointsKind
from patron.points.models import LedgerEntry
from patron.service import services
from patron.service.models import (
    AgentProfile,
    EntryKind,
    ReturnLine,
    ReturnPhoto,
    ReturnRequest,
    ReturnState,
    ReturnStep,
    TicketEntry,
)
from patron.service.tests.returns_helpers import (
    DAY,
    ask,
    delivered_order,
    earning,
    paid_order,
    refunded,
)

pytestmark = pytest.mark.django_db
L = services.ReturnLineInput


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return delivered_order(shop, member)


def reversed_points(member: Member) -> int:
    return sum(
        LedgerEntry.objects.filter(account__member=member, kind=PointsKind.REVERSE).values_list(
            "points", flat=True
        )
    )


def earned_points(member: Member) -> int:
    return sum(
        LedgerEntry.objects.filter(account__member=member, kind=PointsKind.EARN).values_list(
            "points", flat=True
        )
    )


def states(request: ReturnRequest) -> list[str]:
    return list(request.steps.values_list("to_state", flat=True))


def test_a_return_goes_from_request_to_refund_and_reverses_the_refunded_lines_points(
    shop, member, agent, order, monkeypatch
):
    subscription = WebhookSubscription.objects.create(
        shop=shop,
        url="https://shop.example/hooks",
        event_types=["return.*"],
        secret="s3cret",
        created_at=clock.now(),
    )
    assert earned_points(member) == 250
    request = ask(member, lines=[L("L1", 1)], description="太小了")
    assert request.state == ReturnState.REQUESTED
    request = services.return_approve(request=request, agent=agent)
    request = services.return_goods_sent(
        request=request, carrier="顺丰", tracking_number="SF1234567890"
    )
    assert (request.return_carrier, request.return_tracking) == ("顺丰", "SF1234567890")
    request = services.return_receive(request=request, agent=agent)
    request = services.return_refund_request(request=request, agent=agent)
    assert request.state == ReturnState.REFUND_REQUESTED
    assert request.refund_id == f"return-{request.pk}"

    # The shop is told to refund, by a signed webhook naming lines and refund id.
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.event_type == "return.refund_requested"
    assert delivery.payload["refund_id"] == request.refund_id
    assert delivery.payload["lines"] == [{"line_id": "L1", "quantity": 1}]
    assert delivery.payload["order_id"] == "O1"
    sent: dict[str, Any] = {}

    def post(url: str, *, content: bytes, headers: dict[str, str], **kw: Any) -> Any:
        sent.update(url=url, body=content, headers=headers)
        return type("R", (), {"status_code": 200, "text": "ok"})()

    monkeypatch.setattr(webhook_services, "refusal", lambda url: None)
    monkeypatch.setattr(webhook_services.httpx, "post", post)
    webhook_services.webhook_deliver(delivery.pk)
    stamp = int(clock.now().timestamp())
    assert verify_signature(sent["headers"][HEADER], sent["body"], ["s3cret"], now=stamp) == stamp
    assert json.loads(sent["body"])["data"]["refund_id"] == request.refund_id
    assert reversed_points(member) == 0

    # The shop refunds that line: the request closes and its points reverse.
    result = refunded(shop, member, request.refund_id, {"L1": 1})
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert request.refund_amount == 10000
    assert request.refunded_at is not None and request.closed_at is not None
    assert {"type": "return.closed", "return_id": request.pk, "refund_id": request.refund_id} in (
        result["effects"]
    )
    assert reversed_points(member) == -100  # one unit of L1 (¥100), not L2
    assert states(request) == [
        "requested",
        "approved",
        "sent_back",
        "received",
        "refund_requested",
        "refunded",
        "closed",
    ]
    # The member heard of each step a member cares about, in their inbox.
    told = set(
        Message.objects.filter(member=member, kind="service.return_updated").values_list(
            "cause", flat=True
        )
    )
    assert told == {
        f"return:{request.pk}:{s}" for s in ("approved", "sent_back", "received", "refunded")
    }
    assert AuditLog.objects.filter(action="service.return_approved").count() == 1


def test_a_refund_under_the_shops_own_id_closes_the_only_waiting_request(
    shop, member, agent, order
):
    request = ask(member, lines=[L("L1", 2)])
    for step in (services.return_approve, services.return_receive):
        if step is services.return_receive:
            request = services.return_goods_sent(
                request=request, carrier="EMS", tracking_number="E1"
            )
        request = step(request=request, agent=agent)
    request = services.return_refund_request(request=request, agent=agent)
    refunded(shop, member, "SHOP-REFUND-9", {"L1": 2})
    request.refresh_from_db()
    assert request.state == ReturnState.CLOSED
    assert request.refund_id == "SHOP-REFUND-9"
    assert reversed_points(member) == -200


def test_a_refund_of_another_order_or_without_a_request_closes_nothing(shop, member, agent, order):
    request = ask(member)
    refunded(shop, member, "X1", {"L2": 1})
    request.refresh_from_db()
    assert request.state == ReturnState.REQUESTED
    assert reversed_points(member) == -50


def test_an_exchange_ships_a_replacement_and_closes(shop, member, agent, order):
    request = ask(member, kind="exchange", reason="size")
    request = services.return_approve(request=request, agent=agent)
    request = services.return_goods_sent(request=request, carrier="顺丰", tracking_number="SF1")
    request = services.return_receive(request=request, agent=agent)
    with pytest.raises(PatronError) as refused:
        services.return_refund_request(request=request, agent=agent)
    assert refused.value.field == "kind"
    request = services.return_replacement_ship(
        request=request, agent=agent, carrier="顺丰", tracking_number="SF2"
    )
    assert request.replacement_tracking == "SF2"
    request = services.return_close(request=request, agent=agent)
    assert states(request) == [
        "requested",
        "approved",
        "sent_back",
        "received",
        "replacement_shipped",
        "closed",
    ]
    assert reversed_points(member) == 0  # nothing refunded, nothing reversed


def test_a_refused_request_says_why_frees_its_units_and_closes(shop, member, agent, order):
    request = ask(member, lines=[L("L1", 2)])
    with pytest.raises(PatronError) as no_reason:
        services.return_refuse(request=request, agent=agent, reason="  ")
    assert no_reason.value.field == "reason"
    request.refresh_from_db()
    assert request.state == ReturnState.REQUESTED
    request = services.return_refuse(request=request, agent=agent, reason="吊牌已剪")
    assert request.refusal_reason == "吊牌已剪"
    message = Message.objects.get(member=member, cause=f"return:{request.pk}:refused")
    assert "吊牌已剪" in message.body_text
    again = ask(member, lines=[L("L1", 2)])  # the refused units can be asked for again
    assert again.state == ReturnState.REQUESTED
    request = services.return_close(request=request, agent=agent)
    assert request.state == ReturnState.CLOSED


def test_the_ticket_it_is_on_shows_each_step(shop, member, agent, order):
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="退货", body="我想退货", member=member, topic="return"
    )
    request = ask(member, ticket=ticket, agent=agent)
    services.return_approve(request=request, agent=agent)
    actions = TicketEntry.objects.filter(ticket=ticket, kind=EntryKind.ACTION).order_by("pk")
    assert [e.data["action"] for e in actions] == ["return.requested", "return.approved"]


@pytest.mark.parametrize(
    ("step", "kwargs"),
    [
        (services.return_receive, {}),
        (services.return_refund_request, {}),
        (services.return_close, {}),
        (services.return_goods_sent, {"carrier": "EMS", "tracking_number": "E1"}),
        (
            services.return_replacement_ship,
            {"carrier": "EMS", "tracking_number": "E1"},
        ),
    ],
)
def test_a_step_out_of_turn_is_refused_naming_the_state(shop, member, agent, order, step, kwargs):
    request = ask(member, kind="exchange" if step is services.return_replacement_ship else "return")
    with pytest.raises(PatronError) as refused:
        step(request=request, agent=agent, **kwargs)
    assert (refused.value.code, refused.value.field) == ("invalid_transition", "state")
    assert states(ReturnRequest.objects.get(pk=request.pk)) == ["requested"]


@pytest.mark.parametrize("missing", ["carrier", "tracking_number"])
def test_goods_sent_needs_carrier_and_tracking(shop, member, agent, order, missing):
    request = services.return_approve(request=ask(member), agent=agent)
    args: dict[str, Any] = {"carrier": "EMS", "tracking_number": "E1", missing: ""}
    with pytest.raises(PatronError) as refused:
        services.return_goods_sent(request=request, **args)
    assert refused.value.field == missing
    assert ReturnRequest.objects.get(pk=request.pk).state == ReturnState.APPROVED


def test_an_agent_of_another_shop_cannot_move_a_request(shop, member, order, agent):
    other = Shop.objects.create(name="Other")
    stranger = AgentProfile.objects.create(
        shop=other, user=agent.user, display_name="x", created_at=clock.now()
    )
    request = ask(member)
    with pytest.raises(PatronError) as refused:
        services.return_approve(request=request, agent=stranger)
    assert refused.value.field == "agent"


# --- Eligibility: each refusal names its field and saves nothing -------------------


def image(name: str = "a.jpg", kind: str = "image/jpeg", size: int = 10) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"x" * size, content_type=kind)


def refused_on(member: Member, **kw: Any) -> str | None:
    before = (ReturnRequest.objects.count(), ReturnLine.objects.count(), ReturnStep.objects.count())
    with pytest.raises(PatronError) as refused:
        ask(member, **kw)
    after = (ReturnRequest.objects.count(), ReturnLine.objects.count(), ReturnStep.objects.count())
    assert after == before
    assert ReturnPhoto.objects.count() == 0
    return refused.value.field


def test_an_order_not_yet_delivered_cannot_be_returned(shop, member):
    earning(shop)
    paid_order(shop, member)
    assert refused_on(member) == "order_id"


def test_an_unknown_order_or_another_members_order_cannot_be_returned(shop, member, order):
    assert refused_on(member, order_id="NOPE") == "order_id"
    other = Member.objects.create(
        shop=shop,
        external_id="m2",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    assert refused_on(other) == "order_id"


def test_the_window_is_seven_days_from_delivery_by_default(shop, member, order):
    delivered = order.completed_at
    clock.freeze(delivered + dt.timedelta(days=7, seconds=1))
    assert refused_on(member) == "order_id"
    clock.freeze(delivered + dt.timedelta(days=7))
    assert ask(member).state == ReturnState.REQUESTED


def test_the_window_is_a_setting_of_the_shop(shop, member, order):
    services.return_settings_save(shop=shop, window_days=15, non_returnable_categories=[])
    clock.freeze(order.completed_at + 14 * DAY)
    assert ask(member).state == ReturnState.REQUESTED
    clock.freeze(order.completed_at + 16 * DAY)
    assert refused_on(member, lines=[L("L1", 1)]) == "order_id"
    with pytest.raises(PatronError) as bad:
        services.return_settings_save(shop=shop, window_days=-1, non_returnable_categories=[])
    assert bad.value.field == "window_days"


def test_a_non_returnable_category_is_refused(shop, member, order):
    services.return_settings_save(shop=shop, window_days=7, non_returnable_categories=["food"])
    assert refused_on(member, lines=[L("L2", 1)]) == "lines[0].line_id"
    assert ask(member, lines=[L("L1", 1)]).state == ReturnState.REQUESTED


def test_units_already_asked_for_or_refunded_cannot_be_asked_for_again(shop, member, order):
    ask(member, lines=[L("L1", 1)])
    assert refused_on(member, lines=[L("L1", 2)]) == "lines[0].quantity"
    refunded(shop, member, "R-shop", {"L2": 1})  # refunded without a return request
    assert refused_on(member, lines=[L("L2", 1)]) == "lines[0].quantity"
    assert ask(member, lines=[L("L1", 1)]).state == ReturnState.REQUESTED  # the last unit


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"lines": []}, "lines"),
        ({"lines": [L("L9", 1)]}, "lines[0].line_id"),
        ({"lines": [L("L1", 1), L("L1", 1)]}, "lines[1].line_id"),
        ({"lines": [L("L1", 0)]}, "lines[0].quantity"),
        ({"lines": [L("L1", 3)]}, "lines[0].quantity"),
        ({"kind": "swap"}, "kind"),
        ({"reason": "bored"}, "reason"),
        ({"description": "x" * 2001}, "description"),
        ({"photos": [image(kind="application/pdf")]}, "photos[0]"),
        ({"photos": [image(), image(size=5 * 1024 * 1024 + 1)]}, "photos[1]"),
        ({"photos": [image() for _ in range(10)]}, "photos"),
    ],
)
def test_a_bad_request_names_its_field(shop, member, order, kw, field):
    assert refused_on(member, **kw) == field


def test_photos_are_stored_with_the_request(shop, member, order, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    request = ask(member, photos=[image("a.png", "image/png", 100)])
    photo = request.photos.get()
    assert (photo.content_type, photo.size) == ("image/png", 100)
    assert photo.file.read() == b"x" * 100
