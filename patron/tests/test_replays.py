"""One replay behaviour across the shop API: whatever recognises a retry (an
Idempotency-Key, an event id, a reserve's order id, a redemption's request id),
the retry answers the first status code and body, with
``Idempotent-Replayed: true``, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from patron.api import api as shop_api
from patron.core import clock
from patron.core.models import Shop
from patron.events.tests.factories import event as _event
from patron.events.tests.factories import paid_data
from patron.promotions.models import FlashSale
from patron.promotions.tests.conftest import give_points, make_member, make_template
from patron.rewards.models import Reward

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC)


def event(type_: str, data: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    return _event(type_, data, occurred_at=NOW.isoformat(), **fields)


def row_counts() -> dict[str, int]:
    """Rows of every Patron model: a replay adds none anywhere."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("patron.") and model._meta.managed
    }


CART: dict[str, Any] = {
    "member": "M1",
    "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "unit_price": 25000}],
}


@pytest.fixture
def world(shop: Shop) -> dict[str, Any]:
    """M1 with points, a claimable coupon, a live flash sale and a gift."""
    clock.freeze(NOW)
    member = make_member(shop, "M1")
    give_points(member, 5000)
    make_template(shop, code="welcome", claimable=True)
    sale = FlashSale.objects.create(
        shop=shop,
        name="sale",
        template=make_template(shop),
        quantity=10,
        starts_at=clock.now() - dt.timedelta(hours=1),
        ends_at=clock.now() + dt.timedelta(hours=1),
    )
    reward = Reward.objects.create(
        shop=shop,
        name="帆布袋",
        kind="physical",
        points_price=100,
        stock=10,
        created_at=clock.now(),
    )
    return {"sale": sale.pk, "reward": reward.pk}


def _redeemed(api: Any, world: dict[str, Any]) -> int:
    body = {"reward_id": world["reward"], "request_id": "setup", "shipping_address": "北京市"}
    response = api.post("/api/v1/members/M1/redemptions", body)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


# A public address (no name to resolve, never called: nothing is emitted to it
# by these requests), so the URL check outside DEBUG accepts it.
HOOK = {"url": "https://1.1.1.1/patron/hooks", "event_types": ["*"]}


def _subscribed(api: Any, world: dict[str, Any]) -> int:
    response = api.post("/api/v1/webhooks", HOOK)
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def _delivery(api: Any, world: dict[str, Any]) -> int:
    from patron.messaging.webhooks.services import webhook_emit

    _subscribed(api, world)
    (delivery,) = webhook_emit(
        shop=Shop.objects.get(), event_type="custom.x", event_id="e-1", payload={}
    )
    return delivery.pk


def _reserved(api: Any, world: dict[str, Any]) -> None:
    response = api.post("/api/v1/checkout/reserve", {**CART, "order_id": "O-setup"})
    assert response.status_code == 201, response.content


def _m1() -> Any:
    from patron.members.models import Member

    return Member.objects.get(external_id="M1")


def _delivered(api: Any, world: dict[str, Any]) -> None:
    from patron.service.tests.returns_helpers import delivered_order

    delivered_order(Shop.objects.get(), _m1())


def _return_request(api: Any, world: dict[str, Any]) -> int:
    from patron.service import services

    _delivered(api, world)
    return services.return_request(
        member=_m1(),
        order_id="O1",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="size",
    ).pk


def _paid(api: Any, world: dict[str, Any]) -> None:
    from patron.service.tests.returns_helpers import paid_order

    paid_order(Shop.objects.get(), _m1())


def _change(api: Any, world: dict[str, Any]) -> int:
    from patron.service import services

    _paid(api, world)
    return services.order_change_request(member=_m1(), order_id="O1", kind="cancel").pk


# Every state-changing POST of the shop API: (path, body, setup), keyed by the
# operation's path in the OpenAPI document.
Case = tuple[str, dict[str, Any], Callable[[Any, dict[str, Any]], Any] | None]


def _service_reply(world: dict[str, Any]) -> Case:
    """A ticket of M1 and an agent to answer it."""
    from django.contrib.auth.models import User

    from patron.members.models import Member
    from patron.service import services as service_services
    from patron.service.models import AgentProfile

    member = Member.objects.get(external_id="M1")
    agent = AgentProfile.objects.create(
        shop=member.shop,
        user=User.objects.create_user("replay-agent"),
        display_name="小王",
        created_at=clock.now(),
    )
    ticket = service_services.ticket_open(
        shop=member.shop, channel="chat", subject="尺码", body="M码有货吗", member=member
    )
    return (
        f"/api/v1/service/tickets/{ticket.number}/replies",
        {"agent_id": agent.pk, "text": "有货"},
        None,
    )


CASES: dict[str, Callable[[dict[str, Any]], Case]] = {
    "/api/v1/members": lambda w: ("/api/v1/members", {"external_id": "M2"}, None),
    "/api/v1/events": lambda w: ("/api/v1/events", event("custom.x", member="M1"), None),
    "/api/v1/events/batch": lambda w: (
        "/api/v1/events/batch",
        {"events": [event("custom.x", member="M1"), event("custom.x", member="NOBODY")]},
        None,
    ),
    "/api/v1/members/{external_id}/checkin": lambda w: ("/api/v1/members/M1/checkin", {}, None),
    "/api/v1/members/{external_id}/coupons/claim": lambda w: (
        "/api/v1/members/M1/coupons/claim",
        {"template": "welcome"},
        None,
    ),
    "/api/v1/members/{external_id}/flash-sales/{sale_id}/claim": lambda w: (
        f"/api/v1/members/M1/flash-sales/{w['sale']}/claim",
        {},
        None,
    ),
    "/api/v1/checkout/reserve": lambda w: (
        "/api/v1/checkout/reserve",
        {**CART, "order_id": "O-1"},
        None,
    ),
    "/api/v1/checkout/release": lambda w: (
        "/api/v1/checkout/release",
        {"order_id": "O-setup"},
        _reserved,
    ),
    "/api/v1/members/{external_id}/redemptions": lambda w: (
        "/api/v1/members/M1/redemptions",
        {"reward_id": w["reward"], "request_id": "r-1", "shipping_address": "北京市"},
        None,
    ),
    "/api/v1/members/{external_id}/redemptions/{redemption_id}/cancel": lambda w: (
        "/api/v1/members/M1/redemptions/{id}/cancel",
        {"reason": "wrong size"},
        _redeemed,
    ),
    "/api/v1/webhooks": lambda w: ("/api/v1/webhooks", HOOK, None),
    "/api/v1/service/returns": lambda w: (
        "/api/v1/service/returns",
        {
            "member": "M1",
            "order_id": "O1",
            "lines": [{"line_id": "L1", "quantity": 1}],
            "kind": "return",
            "reason": "defective",
        },
        _delivered,
    ),
    "/api/v1/service/returns/{return_id}/transitions": lambda w: (
        "/api/v1/service/returns/{id}/transitions",
        {"action": "approve"},
        _return_request,
    ),
    "/api/v1/service/order-changes": lambda w: (
        "/api/v1/service/order-changes",
        {"member": "M1", "order_id": "O1", "kind": "address", "value": "上海"},
        _paid,
    ),
    "/api/v1/service/order-changes/{change_id}/answer": lambda w: (
        "/api/v1/service/order-changes/{id}/answer",
        {"accepted": True},
        _change,
    ),
    "/api/v1/webhooks/{subscription_id}/rotate-secret": lambda w: (
        "/api/v1/webhooks/{id}/rotate-secret",
        {"keep_previous_hours": 1},
        _subscribed,
    ),
    "/api/v1/webhooks/deliveries/{delivery_id}/resend": lambda w: (
        "/api/v1/webhooks/deliveries/{id}/resend",
        {},
        _delivery,
    ),
    "/api/v1/service/tickets": lambda w: (
        "/api/v1/service/tickets",
        {"member": "M1", "subject": "发票", "text": "请开发票"},
        None,
    ),
    "/api/v1/service/tickets/{number}/replies": _service_reply,
    "/api/v1/service/messages": lambda w: (
        "/api/v1/service/messages",
        {"channel": "wechat", "message_id": "wx-1", "sender_id": "o1", "text": "在吗"},
        None,
    ),
}
CASES["/api/v1/assistant/ask"] = lambda w: (
    "/api/v1/assistant/ask",
    {"text": "我的积分还有多少", "member": "M1"},
    None,
)


def _asked(api: Any, world: dict[str, Any]) -> int:
    return int(
        api.post("/api/v1/assistant/ask", {"text": "我的积分还有多少", "member": "M1"}).json()[
            "asked_id"
        ]
    )


CASES["/api/v1/assistant/asked/{asked_id}/feedback"] = lambda w: (
    "/api/v1/assistant/asked/{id}/feedback",
    {"member": "M1", "helpful": False},
    _asked,
)
# POSTs that write nothing, so have nothing to replay.
READ_ONLY_POSTS = {"/api/v1/checkout/evaluate", "/api/v1/points/preview"}


def test_every_state_changing_post_is_covered() -> None:
    posts = {
        path
        for path, operations in shop_api.get_openapi_schema()["paths"].items()
        if "post" in operations
    }
    assert posts - READ_ONLY_POSTS == set(CASES)


@pytest.mark.parametrize("operation", sorted(CASES))
def test_a_reused_idempotency_key_answers_the_first_status_and_body(
    api: Any, world: dict[str, Any], operation: str
) -> None:
    path, body, setup = CASES[operation](world)
    if setup is not None:
        path = path.format(id=setup(api, world))
    headers = {"Idempotency-Key": f"k-{operation}"}
    first = api.post(path, body, headers=headers)
    assert first.status_code in {200, 201, 202}, first.content
    assert "Idempotent-Replayed" not in first
    before = row_counts()

    again = api.post(path, body, headers=headers)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == before


def test_a_resent_event_id_answers_201_applied_like_the_first(api: Any, world: Any) -> None:
    body = event("order.paid", paid_data("O1"), member="M1", id="pay-1")
    first = api.post("/api/v1/events", body)
    assert (first.status_code, first.json()["status"]) == (201, "applied")
    assert "Idempotent-Replayed" not in first
    before = row_counts()

    again = api.post("/api/v1/events", body)

    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == before


def test_a_batch_marks_a_resent_event_replayed_with_its_first_result(api: Any, world: Any) -> None:
    first = api.post("/api/v1/events", event("custom.x", member="M1", id="e-1"))
    before = row_counts()

    batch = api.post(
        "/api/v1/events/batch",
        {"events": [event("custom.x", member="M1", id="e-1"), event("custom.x", member="M1")]},
    )

    assert batch.status_code == 200
    assert "Idempotent-Replayed" not in batch  # the batch itself is new
    results = batch.json()["results"]
    assert [(r["status"], r["replayed"]) for r in results] == [
        ("applied", True),
        ("applied", False),
    ]
    assert results[0]["result"] == first.json()["result"]
    assert row_counts()["events.Event"] == before["events.Event"] + 1


def test_a_resent_reserve_and_redemption_answer_201_marked_replayed(
    api: Any, world: dict[str, Any]
) -> None:
    reserve = {**CART, "order_id": "O-1"}
    redeem = {"reward_id": world["reward"], "request_id": "r-1", "shipping_address": "北京市"}
    first_reserve = api.post("/api/v1/checkout/reserve", reserve)
    first_redeem = api.post("/api/v1/members/M1/redemptions", redeem)
    assert (first_reserve.status_code, first_redeem.status_code) == (201, 201)
    before = row_counts()

    again_reserve = api.post("/api/v1/checkout/reserve", reserve)
    again_redeem = api.post("/api/v1/members/M1/redemptions", redeem)

    for first, again in ((first_reserve, again_reserve), (first_redeem, again_redeem)):
        assert (again.status_code, again.json()) == (201, first.json())
        assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == before
