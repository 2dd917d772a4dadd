"""The event intake through POST /api/v1/events and /api/v1/events/batch."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from patron.core.tests.factories import ShopFactory
from patron.events.models import Event
from patron.events.tests.factories import OCCURRED_AT, event, future, paid_data
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order, OrderStatus, Refund
from patron.tests.factories import row_counts

URL = "/api/v1/events"
BATCH = "/api/v1/events/batch"
PROBLEM = "application/problem+json"


@pytest.fixture
def member(shop: Any) -> Member:
    return MemberFactory.create(shop=shop, external_id="M1")


@pytest.fixture
def paid_order(api: Any, member: Member) -> Order:
    response = api.post(URL, event("order.paid", paid_data("O1")))
    assert response.status_code == 201, response.json()
    return Order.objects.get(external_id="O1")


def _applied(response: Any, *, replayed: bool = False) -> dict[str, Any]:
    """The result of an applied event; a replay answers exactly as the first
    (201, ``applied``), marked by the header."""
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    assert response.get("Idempotent-Replayed") == ("true" if replayed else None)
    body = response.json()
    assert body["status"] == "applied"
    return body["result"]  # type: ignore[no-any-return]


def _own(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The effects of the foundation's handlers; later apps (points, tiers, ...)
    append their own to the same list and test them themselves."""
    return [e for e in result["effects"] if e["type"].split(".")[0] in FOUNDATION_EFFECTS]


FOUNDATION_EFFECTS = {"member", "order", "activity"}


# --- happy paths, one per event type -------------------------------------------


def test_member_registered_creates_then_updates_the_member(api: Any, shop: Any):
    body = event(
        "member.registered",
        {
            "name": " 王芳 ",
            "phone": "138 1234 5678",
            "email": "Wang.Fang@Example.com",
            "birthday": "1990-05-20",
            "gender": "female",
            "channel": "mini_program",
            "language": "en",
            "consents": {"email": True, "sms": False},
        },
        member="M7",
        id="reg-1",
    )
    result = _applied(api.post(URL, body))
    assert (result["id"], result["type"], result["member"]) == ("reg-1", "member.registered", "M7")
    assert _own(result) == [{"type": "member.created", "member": "M7"}]
    member = Member.objects.get(shop=shop, external_id="M7")
    assert (member.name, member.phone, member.email) == (
        "王芳",
        "+8613812345678",
        "Wang.Fang@example.com",
    )
    assert member.birthday == dt.date(1990, 5, 20)
    assert (member.gender, member.registration_channel, member.language) == (
        "female",
        "mini_program",
        "en",
    )
    assert (member.consent_email, member.consent_sms, member.consent_in_app) == (True, False, False)
    assert member.registered_at.isoformat() == "2026-11-11T02:00:00+00:00"

    again = _applied(api.post(URL, event("member.registered", {"name": "王芳芳"}, member="M7")))
    assert _own(again) == [{"type": "member.updated", "member": "M7"}]
    member.refresh_from_db()
    assert (member.name, member.phone) == ("王芳芳", "+8613812345678")
    assert Member.objects.count() == 1


def test_order_paid_records_the_order_and_splits_the_payment_over_lines(api: Any, member: Member):
    result = _applied(api.post(URL, event("order.paid", paid_data("O1"), id="pay-1")))
    assert _own(result) == [
        {"type": "order.recorded", "order_id": "O1", "status": "paid", "paid_amount": 24000}
    ]
    order = Order.objects.get(external_id="O1")
    assert order.member == member
    assert (order.items_amount, order.shipping_fee, order.discount_amount) == (25000, 1000, 2000)
    assert order.status == OrderStatus.PAID
    assert order.paid_at == dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)
    # 230.00 of goods split 200:50 over the lines; shipping stays on the order.
    assert [(ln.line_id, ln.paid_amount) for ln in order.lines.order_by("line_id")] == [
        ("L1", 18400),
        ("L2", 4600),
    ]
    assert list(order.history.values_list("from_status", "to_status", "event_id")) == [
        ("created", "paid", "pay-1")
    ]


@pytest.mark.parametrize(
    ("steps", "final"),
    [
        (["order.shipped"], OrderStatus.SHIPPED),
        (["order.shipped", "order.completed"], OrderStatus.COMPLETED),
        (["order.completed"], OrderStatus.COMPLETED),
        (["order.cancelled"], OrderStatus.CANCELLED),
    ],
)
def test_order_transitions(api: Any, paid_order: Order, steps: list[str], final: str):
    for step in steps:
        data = {"order_id": "O1", "note": "by test"}
        if step == "order.shipped":
            data |= {"carrier": "SF", "tracking_number": "SF123"}
        result = _applied(api.post(URL, event(step, data)))
        assert _own(result) == [
            {"type": step, "order_id": "O1", "status": step.removeprefix("order.")}
        ]
    paid_order.refresh_from_db()
    assert paid_order.status == final
    assert [h.to_status for h in paid_order.history.all()] == ["paid", *[s[6:] for s in steps]]


def test_order_refunded_whole_order_returns_everything(api: Any, paid_order: Order):
    result = _applied(api.post(URL, event("order.refunded", {"order_id": "O1", "refund_id": "R1"})))
    assert _own(result) == [
        {
            "type": "order.refunded",
            "order_id": "O1",
            "status": "refunded",
            "refund_id": "R1",
            "amount": 24000,
            "lines": [
                {"line_id": "L1", "quantity": 2, "amount": 18400},
                {"line_id": "L2", "quantity": 1, "amount": 4600},
            ],
        }
    ]
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.refunded_amount) == ("refunded", 24000)


def test_order_refunded_partial_lines_then_the_rest(api: Any, paid_order: Order):
    first = _applied(
        api.post(
            URL,
            event(
                "order.refunded",
                {"order_id": "O1", "refund_id": "R1", "lines": [{"line_id": "L1", "quantity": 1}]},
            ),
        )
    )
    assert _own(first)[0]["amount"] == 9200
    assert _own(first)[0]["status"] == "partially_refunded"
    second = _applied(
        api.post(
            URL,
            event(
                "order.refunded",
                {"order_id": "O1", "refund_id": "R2", "lines": [{"line_id": "L2", "quantity": 1}]},
            ),
        )
    )
    assert _own(second)[0]["amount"] == 4600
    last = _applied(api.post(URL, event("order.refunded", {"order_id": "O1", "refund_id": "R3"})))
    # the last unit of L1 (9200) plus the shipping fee (1000)
    assert _own(last)[0]["amount"] == 10200
    assert _own(last)[0]["lines"] == [{"line_id": "L1", "quantity": 1, "amount": 9200}]
    paid_order.refresh_from_db()
    assert (paid_order.status, paid_order.refunded_amount) == ("refunded", 24000)
    assert sorted(Refund.objects.values_list("external_id", "amount")) == [
        ("R1", 9200),
        ("R2", 4600),
        ("R3", 10200),
    ]


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("review.posted", {"review_id": "RV1", "order_id": "O1", "rating": 5, "has_photos": True}),
        ("review.posted", {"review_id": "RV2"}),
        ("link.shared", {"url": "https://shop.example/p/1", "target": "wechat"}),
        ("link.shared", {}),
        ("custom.check_in", {"streak": 3, "anything": {"nested": [1, 2]}}),
        ("custom.x", {}),
    ],
)
def test_activity_events_are_recorded(api: Any, member: Member, type_: str, data: dict[str, Any]):
    result = _applied(api.post(URL, event(type_, data)))
    assert _own(result) == [{"type": "activity.recorded", "activity": type_}]
    stored = Event.objects.get(external_id=result["id"])
    assert stored.type == type_
    assert stored.payload["data"] == data


def test_data_may_be_left_out_for_activity_events(api: Any, member: Member):
    body = event("link.shared")
    del body["data"]
    assert _applied(api.post(URL, body))["type"] == "link.shared"


# --- bad input: every field, nothing changes -----------------------------------


def _without(body: dict[str, Any], *path: str | int) -> dict[str, Any]:
    target: Any = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


def _with(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """Set a dotted path; ``lines.0.quantity`` indexes into lists."""
    keys = path.split(".")
    target: Any = body
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return body


def paid(path: str, value: Any) -> Callable[[], dict[str, Any]]:
    return lambda: event("order.paid", _with(paid_data("O2"), path, value))


def paid_without(*path: str) -> Callable[[], dict[str, Any]]:
    return lambda: event("order.paid", _without(paid_data("O2"), *path))


def envelope(key: str, value: Any) -> Callable[[], dict[str, Any]]:
    return lambda: _with(event("custom.x"), key, value)


def envelope_without(key: str) -> Callable[[], dict[str, Any]]:
    return lambda: _without(event("custom.x"), key)


def typed(type_: str, **data: Any) -> Callable[[], dict[str, Any]]:
    return lambda: event(type_, data)


def refund(**data: Any) -> Callable[[], dict[str, Any]]:
    return lambda: event("order.refunded", {"order_id": "O1", "refund_id": "RX", **data})


def register(**data: Any) -> Callable[[], dict[str, Any]]:
    return lambda: event("member.registered", data, member="NEW")


V, UT, UM, UO, IT = (
    "validation_error",
    "unknown_event_type",
    "unknown_member",
    "unknown_order",
    "invalid_transition",
)

BAD_EVENTS: list[tuple[str, Callable[[], dict[str, Any]], int, str, str]] = [
    # the envelope
    ("id missing", envelope_without("id"), 422, V, "id"),
    ("id null", envelope("id", None), 422, V, "id"),
    ("id int", envelope("id", 5), 422, V, "id"),
    ("id empty", envelope("id", ""), 422, V, "id"),
    ("id blank", envelope("id", "   "), 422, V, "id"),
    ("id too long", envelope("id", "e" * 101), 422, V, "id"),
    ("id with NUL", envelope("id", "e\x001"), 422, V, "id"),
    ("type missing", envelope_without("type"), 422, V, "type"),
    ("type int", envelope("type", 1), 422, V, "type"),
    ("type unknown", envelope("type", "order.exploded"), 422, UT, "type"),
    ("type custom without name", envelope("type", "custom."), 422, UT, "type"),
    ("type custom upper case", envelope("type", "custom.CheckIn"), 422, UT, "type"),
    ("type custom too long", envelope("type", "custom." + "x" * 61), 422, UT, "type"),
    ("member missing", envelope_without("member"), 422, V, "member"),
    ("member int", envelope("member", 1), 422, V, "member"),
    ("member empty", envelope("member", ""), 422, V, "member"),
    ("member too long", envelope("member", "M" * 65), 422, V, "member"),
    ("member unknown", envelope("member", "NOBODY"), 422, UM, "member"),
    ("member with NUL", envelope("member", "M\x001"), 422, V, "member"),
    ("occurred_at missing", envelope_without("occurred_at"), 422, V, "occurred_at"),
    ("occurred_at null", envelope("occurred_at", None), 422, V, "occurred_at"),
    ("occurred_at naive", envelope("occurred_at", "2026-11-11T10:00:00"), 422, V, "occurred_at"),
    ("occurred_at date only", envelope("occurred_at", "2026-11-11"), 422, V, "occurred_at"),
    ("occurred_at words", envelope("occurred_at", "yesterday"), 422, V, "occurred_at"),
    ("occurred_at epoch int", envelope("occurred_at", 1762826400), 422, V, "occurred_at"),
    ("occurred_at epoch str", envelope("occurred_at", "1762826400"), 422, V, "occurred_at"),
    ("occurred_at float", envelope("occurred_at", 1762826400.5), 422, V, "occurred_at"),
    (
        "occurred_at future",
        lambda: _with(event("custom.x"), "occurred_at", future(3600)),
        422,
        V,
        "occurred_at",
    ),
    (
        "occurred_at year 1",
        envelope("occurred_at", "0001-01-01T00:00:00+14:00"),
        422,
        V,
        "occurred_at",
    ),
    (
        "occurred_at 1899",
        envelope("occurred_at", "1899-12-31T00:00:00+00:00"),
        422,
        V,
        "occurred_at",
    ),
    ("data list", envelope("data", [1]), 422, V, "data"),
    ("data string", envelope("data", "x"), 422, V, "data"),
    ("data null", envelope("data", None), 422, V, "data"),
    ("data key with NUL", envelope("data", {"a\x00": 1}), 422, V, "data.a\x00"),
    ("data value with NUL", envelope("data", {"a": ["ok", "b\x00"]}), 422, V, "data.a[1]"),
    ("data lone surrogate", envelope("data", {"a": {"b": "\ud800"}}), 422, V, "data.a.b"),
    ("data key lone surrogate", envelope("data", {"\udfff": 1}), 422, V, "data.\udfff"),
    ("extra envelope field", envelope("extra", 1), 422, V, "extra"),
    ("extra field lone surrogate", envelope("\ud800", 1), 422, V, "\ud800"),
    # order.paid
    ("order_id missing", paid_without("order_id"), 422, V, "data.order_id"),
    ("order_id int", paid("order_id", 2), 422, V, "data.order_id"),
    ("order_id empty", paid("order_id", ""), 422, V, "data.order_id"),
    ("order_id too long", paid("order_id", "O" * 65), 422, V, "data.order_id"),
    ("order_id already paid", paid("order_id", "O1"), 409, IT, "data.order_id"),
    ("lines missing", paid_without("lines"), 422, V, "data.lines"),
    ("lines empty", paid("lines", []), 422, V, "data.lines"),
    ("lines object", paid("lines", {"line_id": "L1"}), 422, V, "data.lines"),
    (
        "lines too many",
        paid(
            "lines",
            [{"line_id": f"L{i}", "sku": "S", "quantity": 1, "unit_price": 1} for i in range(501)],
        ),
        422,
        V,
        "data.lines",
    ),
    ("duplicate line ids", paid("lines.1.line_id", "L1"), 422, V, "data.lines"),
    ("line not an object", paid("lines.0", "L1"), 422, V, "data.lines[0]"),
    (
        "line_id missing",
        lambda: event("order.paid", _without(paid_data("O2"), "lines", 0, "line_id")),
        422,
        V,
        "data.lines[0].line_id",
    ),
    ("line_id int", paid("lines.0.line_id", 1), 422, V, "data.lines[0].line_id"),
    ("line_id too long", paid("lines.0.line_id", "L" * 65), 422, V, "data.lines[0].line_id"),
    (
        "sku missing",
        lambda: event("order.paid", _without(paid_data("O2"), "lines", 1, "sku")),
        422,
        V,
        "data.lines[1].sku",
    ),
    ("sku empty", paid("lines.1.sku", ""), 422, V, "data.lines[1].sku"),
    ("line name too long", paid("lines.0.name", "n" * 201), 422, V, "data.lines[0].name"),
    (
        "line category too long",
        paid("lines.0.category", "c" * 101),
        422,
        V,
        "data.lines[0].category",
    ),
    ("line extra field", paid("lines.0.colour", "red"), 422, V, "data.lines[0].colour"),
    (
        "quantity missing",
        lambda: event("order.paid", _without(paid_data("O2"), "lines", 0, "quantity")),
        422,
        V,
        "data.lines[0].quantity",
    ),
    ("quantity zero", paid("lines.0.quantity", 0), 422, V, "data.lines[0].quantity"),
    ("quantity negative", paid("lines.0.quantity", -1), 422, V, "data.lines[0].quantity"),
    ("quantity string", paid("lines.0.quantity", "2"), 422, V, "data.lines[0].quantity"),
    ("quantity float", paid("lines.0.quantity", 2.0), 422, V, "data.lines[0].quantity"),
    ("quantity bool", paid("lines.0.quantity", True), 422, V, "data.lines[0].quantity"),
    ("quantity huge", paid("lines.0.quantity", 100_001), 422, V, "data.lines[0].quantity"),
    ("unit_price negative", paid("lines.0.unit_price", -1), 422, V, "data.lines[0].unit_price"),
    ("unit_price string", paid("lines.0.unit_price", "10000"), 422, V, "data.lines[0].unit_price"),
    (
        "unit_price yuan float",
        paid("lines.0.unit_price", 100.5),
        422,
        V,
        "data.lines[0].unit_price",
    ),
    (
        "unit_price too big",
        paid("lines.0.unit_price", 10**12 + 1),
        422,
        V,
        "data.lines[0].unit_price",
    ),
    ("paid_amount missing", paid_without("paid_amount"), 422, V, "data.paid_amount"),
    ("paid_amount negative", paid("paid_amount", -1), 422, V, "data.paid_amount"),
    ("paid_amount string", paid("paid_amount", "24000"), 422, V, "data.paid_amount"),
    ("paid_amount float", paid("paid_amount", 240.0), 422, V, "data.paid_amount"),
    ("paid_amount null", paid("paid_amount", None), 422, V, "data.paid_amount"),
    (
        "paid_amount above lines and shipping",
        paid("paid_amount", 26001),
        422,
        V,
        "data.paid_amount",
    ),
    ("shipping_fee negative", paid("shipping_fee", -100), 422, V, "data.shipping_fee"),
    ("shipping_fee float", paid("shipping_fee", 10.0), 422, V, "data.shipping_fee"),
    ("discount_amount string", paid("discount_amount", "20"), 422, V, "data.discount_amount"),
    ("discount_amount negative", paid("discount_amount", -1), 422, V, "data.discount_amount"),
    ("points_used negative", paid("points_used", -5), 422, V, "data.points_used"),
    ("points_used float", paid("points_used", 1.5), 422, V, "data.points_used"),
    ("points_amount string", paid("points_amount", "1"), 422, V, "data.points_amount"),
    ("coupon_codes string", paid("coupon_codes", "SAVE10"), 422, V, "data.coupon_codes"),
    ("coupon_codes int item", paid("coupon_codes", [10]), 422, V, "data.coupon_codes[0]"),
    ("coupon_codes empty item", paid("coupon_codes", ["A", ""]), 422, V, "data.coupon_codes[1]"),
    (
        "coupon_codes too many",
        paid("coupon_codes", [f"C{i}" for i in range(21)]),
        422,
        V,
        "data.coupon_codes",
    ),
    ("currency lower case", paid("currency", "cny"), 422, V, "data.currency"),
    ("currency four letters", paid("currency", "CNYY"), 422, V, "data.currency"),
    ("currency int", paid("currency", 156), 422, V, "data.currency"),
    ("currency not the shop's", paid("currency", "USD"), 422, V, "data.currency"),
    ("placed_at naive", paid("placed_at", "2026-11-11T09:00:00"), 422, V, "data.placed_at"),
    ("placed_at int", paid("placed_at", 5), 422, V, "data.placed_at"),
    ("placed_at garbage", paid("placed_at", "soon"), 422, V, "data.placed_at"),
    ("order.paid extra field", paid("tip", 100), 422, V, "data.tip"),
    (
        "order.paid unknown member",
        lambda: event("order.paid", paid_data("O2"), member="NOBODY"),
        422,
        UM,
        "member",
    ),
    # order.shipped / completed / cancelled
    ("shipped unknown order", typed("order.shipped", order_id="NOPE"), 422, UO, "data.order_id"),
    (
        "completed unknown order",
        typed("order.completed", order_id="NOPE"),
        422,
        UO,
        "data.order_id",
    ),
    (
        "cancelled unknown order",
        typed("order.cancelled", order_id="NOPE"),
        422,
        UO,
        "data.order_id",
    ),
    ("shipped order_id missing", typed("order.shipped"), 422, V, "data.order_id"),
    ("shipped order_id int", typed("order.shipped", order_id=1), 422, V, "data.order_id"),
    (
        "shipped carrier too long",
        typed("order.shipped", order_id="O1", carrier="c" * 51),
        422,
        V,
        "data.carrier",
    ),
    (
        "shipped tracking too long",
        typed("order.shipped", order_id="O1", tracking_number="t" * 65),
        422,
        V,
        "data.tracking_number",
    ),
    (
        "shipped note too long",
        typed("order.shipped", order_id="O1", note="n" * 201),
        422,
        V,
        "data.note",
    ),
    (
        "completed with carrier",
        typed("order.completed", order_id="O1", carrier="SF"),
        422,
        V,
        "data.carrier",
    ),
    ("cancelled note int", typed("order.cancelled", order_id="O1", note=5), 422, V, "data.note"),
    (
        "shipped by another member",
        lambda: event("order.shipped", {"order_id": "O1"}, member="M2"),
        422,
        V,
        "member",
    ),
    (
        "shipped unknown member",
        lambda: event("order.shipped", {"order_id": "O1"}, member="NOBODY"),
        422,
        UM,
        "member",
    ),
    # order.refunded
    ("refund unknown order", refund(order_id="NOPE"), 422, UO, "data.order_id"),
    ("refund_id missing", typed("order.refunded", order_id="O1"), 422, V, "data.refund_id"),
    ("refund_id too long", refund(refund_id="R" * 65), 422, V, "data.refund_id"),
    ("refund lines empty", refund(lines=[]), 422, V, "data.lines"),
    ("refund lines null item", refund(lines=[None]), 422, V, "data.lines[0]"),
    (
        "refund more than bought",
        refund(lines=[{"line_id": "L1", "quantity": 3}]),
        422,
        V,
        "data.lines[0].quantity",
    ),
    (
        "refund quantity zero",
        refund(lines=[{"line_id": "L1", "quantity": 0}]),
        422,
        V,
        "data.lines[0].quantity",
    ),
    (
        "refund quantity string",
        refund(lines=[{"line_id": "L1", "quantity": "1"}]),
        422,
        V,
        "data.lines[0].quantity",
    ),
    (
        "refund quantity float",
        refund(lines=[{"line_id": "L1", "quantity": 1.0}]),
        422,
        V,
        "data.lines[0].quantity",
    ),
    (
        "refund quantity missing",
        refund(lines=[{"line_id": "L1"}]),
        422,
        V,
        "data.lines[0].quantity",
    ),
    (
        "refund unknown line",
        refund(lines=[{"line_id": "L9", "quantity": 1}]),
        422,
        V,
        "data.lines[0].line_id",
    ),
    (
        "refund line twice",
        refund(lines=[{"line_id": "L1", "quantity": 1}, {"line_id": "L1", "quantity": 1}]),
        422,
        V,
        "data.lines[1].line_id",
    ),
    (
        "refund line extra field",
        refund(lines=[{"line_id": "L1", "quantity": 1, "amount": 5}]),
        422,
        V,
        "data.lines[0].amount",
    ),
    ("refund reason too long", refund(reason="r" * 201), 422, V, "data.reason"),
    ("refund extra field", refund(amount=100), 422, V, "data.amount"),
    # member.registered
    ("register landline", register(phone="02012345678"), 422, V, "data.phone"),
    ("register garbage phone", register(phone="call me"), 422, V, "data.phone"),
    ("register phone too long", register(phone="1" * 31), 422, V, "data.phone"),
    ("register phone int", register(phone=13812345678), 422, V, "data.phone"),
    ("register bad email", register(email="not-an-email"), 422, V, "data.email"),
    ("register email too long", register(email="a" * 250 + "@b.cn"), 422, V, "data.email"),
    ("register name too long", register(name="n" * 101), 422, V, "data.name"),
    ("register name int", register(name=5), 422, V, "data.name"),
    ("register name NUL", register(name="a\x00"), 422, V, "data.name"),
    ("register birthday future", register(birthday="2999-01-01"), 422, V, "data.birthday"),
    ("register birthday 1899", register(birthday="1899-12-31"), 422, V, "data.birthday"),
    ("register birthday words", register(birthday="May 20"), 422, V, "data.birthday"),
    ("register birthday int", register(birthday=19900520), 422, V, "data.birthday"),
    (
        "register birthday datetime",
        register(birthday="1990-05-20T00:00:00+08:00"),
        422,
        V,
        "data.birthday",
    ),
    ("register gender", register(gender="unknown"), 422, V, "data.gender"),
    ("register channel", register(channel="fax"), 422, V, "data.channel"),
    ("register language", register(language="fr"), 422, V, "data.language"),
    ("register consent string", register(consents={"email": "yes"}), 422, V, "data.consents.email"),
    ("register consent int", register(consents={"sms": 1}), 422, V, "data.consents.sms"),
    (
        "register consent unknown channel",
        register(consents={"fax": True}),
        422,
        V,
        "data.consents.fax",
    ),
    ("register consents list", register(consents=[True]), 422, V, "data.consents"),
    ("register extra field", register(vip=True), 422, V, "data.vip"),
    (
        "register member id too long",
        lambda: event("member.registered", {}, member="M" * 65),
        422,
        V,
        "member",
    ),
    # review.posted, link.shared
    ("review_id missing", typed("review.posted"), 422, V, "data.review_id"),
    ("review rating 6", typed("review.posted", review_id="R", rating=6), 422, V, "data.rating"),
    ("review rating 0", typed("review.posted", review_id="R", rating=0), 422, V, "data.rating"),
    (
        "review rating string",
        typed("review.posted", review_id="R", rating="5"),
        422,
        V,
        "data.rating",
    ),
    (
        "review rating float",
        typed("review.posted", review_id="R", rating=4.5),
        422,
        V,
        "data.rating",
    ),
    (
        "review has_photos string",
        typed("review.posted", review_id="R", has_photos="yes"),
        422,
        V,
        "data.has_photos",
    ),
    (
        "review text_length negative",
        typed("review.posted", review_id="R", text_length=-1),
        422,
        V,
        "data.text_length",
    ),
    (
        "review sku too long",
        typed("review.posted", review_id="R", sku="s" * 65),
        422,
        V,
        "data.sku",
    ),
    ("review extra field", typed("review.posted", review_id="R", likes=3), 422, V, "data.likes"),
    ("share url too long", typed("link.shared", url="u" * 2001), 422, V, "data.url"),
    ("share target too long", typed("link.shared", target="t" * 51), 422, V, "data.target"),
    ("share url int", typed("link.shared", url=5), 422, V, "data.url"),
    ("share extra field", typed("link.shared", clicks=3), 422, V, "data.clicks"),
]


@pytest.fixture
def world(api: Any, paid_order: Order, shop: Any) -> None:
    """M1 with paid order O1 (L1: 2 × ¥100, L2: 1 × ¥50), and M2 without orders."""
    MemberFactory.create(shop=shop, external_id="M2")


@pytest.mark.parametrize(
    ("build", "status", "code", "field"),
    [
        pytest.param(build, status, code, field, id=name)
        for name, build, status, code, field in BAD_EVENTS
    ],
)
def test_bad_event_is_refused_naming_the_field_and_changes_nothing(
    api: Any, world: None, build: Callable[[], dict[str, Any]], status: int, code: str, field: str
):
    body = build()
    before = row_counts()
    response = api.post(URL, body)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["field"], problem["status"]) == (code, field, status)
    assert problem["instance"] == URL
    assert row_counts() == before


@pytest.mark.parametrize(
    ("setup", "body", "status", "code", "field"),
    [
        pytest.param(
            [("order.cancelled", {"order_id": "O1"})],
            ("order.shipped", {"order_id": "O1"}),
            409,
            IT,
            "type",
            id="ship a cancelled order",
        ),
        pytest.param(
            [("order.cancelled", {"order_id": "O1"})],
            ("order.refunded", {"order_id": "O1", "refund_id": "R9"}),
            409,
            IT,
            "type",
            id="refund a cancelled order",
        ),
        pytest.param(
            [("order.shipped", {"order_id": "O1"})],
            ("order.cancelled", {"order_id": "O1"}),
            409,
            IT,
            "type",
            id="cancel a shipped order",
        ),
        pytest.param(
            [("order.shipped", {"order_id": "O1"})],
            ("order.shipped", {"order_id": "O1"}),
            409,
            IT,
            "type",
            id="ship twice",
        ),
        pytest.param(
            [("order.refunded", {"order_id": "O1", "refund_id": "R1"})],
            ("order.refunded", {"order_id": "O1", "refund_id": "R2"}),
            409,
            IT,
            "type",
            id="refund a refunded order",
        ),
        pytest.param(
            [
                (
                    "order.refunded",
                    {
                        "order_id": "O1",
                        "refund_id": "R1",
                        "lines": [{"line_id": "L2", "quantity": 1}],
                    },
                )
            ],
            (
                "order.refunded",
                {"order_id": "O1", "refund_id": "R1", "lines": [{"line_id": "L1", "quantity": 1}]},
            ),
            409,
            "duplicate",
            "data.refund_id",
            id="refund id reused",
        ),
        pytest.param(
            [
                (
                    "order.refunded",
                    {
                        "order_id": "O1",
                        "refund_id": "R1",
                        "lines": [{"line_id": "L1", "quantity": 1}],
                    },
                )
            ],
            (
                "order.refunded",
                {"order_id": "O1", "refund_id": "R2", "lines": [{"line_id": "L1", "quantity": 2}]},
            ),
            422,
            V,
            "data.lines[0].quantity",
            id="refund more than is left",
        ),
        pytest.param(
            [("order.completed", {"order_id": "O1"})],
            ("order.cancelled", {"order_id": "O1"}),
            409,
            IT,
            "type",
            id="cancel a completed order",
        ),
    ],
)
def test_out_of_order_events_are_refused(
    api: Any,
    paid_order: Order,
    setup: list[tuple[str, dict[str, Any]]],
    body: tuple[str, dict[str, Any]],
    status: int,
    code: str,
    field: str,
):
    for type_, data in setup:
        _applied(api.post(URL, event(type_, data)))
    before = row_counts()
    order_before = Order.objects.values().get(pk=paid_order.pk)
    response = api.post(URL, event(*body))
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert row_counts() == before
    assert Order.objects.values().get(pk=paid_order.pk) == order_before


@pytest.mark.parametrize(
    ("raw", "status", "code", "field"),
    [
        pytest.param('{"id": "e1",', 400, "malformed_json", "body", id="truncated"),
        pytest.param("not json", 400, "malformed_json", "body", id="text"),
        pytest.param("{'id': 'e1'}", 400, "malformed_json", "body", id="single quotes"),
        pytest.param(b"\xff\xfe{}", 400, "malformed_json", "body", id="not utf-8"),
        pytest.param("[" * 50_000 + "]" * 50_000, 400, "malformed_json", "body", id="too deep"),
        pytest.param("[]", 422, V, "body", id="array"),
        pytest.param(json.dumps([event("custom.x")]), 422, V, "body", id="array of events"),
        pytest.param('"event"', 422, V, "body", id="string"),
        pytest.param("42", 422, V, "body", id="number"),
        pytest.param("null", 422, V, "body", id="null"),
        pytest.param("", 422, V, "body", id="empty"),
    ],
)
def test_malformed_bodies_are_refused(
    api: Any, member: Member, raw: str | bytes, status: int, code: str, field: str
):
    before = row_counts()
    response = api.post(URL, raw=raw)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert row_counts() == before


def test_oversize_body_is_refused_with_413(api: Any, member: Member, settings: Any):
    settings.PATRON_API_MAX_BODY_BYTES = 2_000
    body = event("custom.x", {"blob": "x" * 2_000})
    before = row_counts()
    response = api.post(URL, body)
    assert response.status_code == 413
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == ("body_too_large", "body")
    assert row_counts() == before
    small = api.post(URL, event("custom.x", {"blob": "x" * 100}))
    assert small.status_code == 201


# --- idempotency -----------------------------------------------------------------


def test_same_event_id_twice_returns_the_first_result_and_changes_nothing(api: Any, member: Member):
    body = event("order.paid", paid_data("O1"), id="pay-1")
    first = _applied(api.post(URL, body))
    before = row_counts()
    again = _applied(api.post(URL, body), replayed=True)
    assert again == first
    assert row_counts() == before


def test_replay_matches_on_the_normalised_payload(api: Any, member: Member):
    body = event("custom.x", {"a": 1}, id=" evt-ws ")
    first = _applied(api.post(URL, body))
    # Same event: whitespace around strings is stripped, key order does not matter.
    reordered = {k: body[k] for k in reversed(list(body))} | {"id": "evt-ws"}
    assert _applied(api.post(URL, reordered), replayed=True) == first


def test_same_event_id_with_a_different_payload_is_refused(api: Any, paid_order: Order):
    body = event("order.shipped", {"order_id": "O1"}, id="ship-1")
    _applied(api.post(URL, body))
    before = row_counts()
    changed = event("order.shipped", {"order_id": "O1", "carrier": "SF"}, id="ship-1")
    response = api.post(URL, changed)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("idempotency_key_reused", "id")
    assert row_counts() == before


def test_refused_event_can_be_fixed_and_resent_under_the_same_id(api: Any, shop: Any):
    body = event("order.paid", paid_data("O1"), id="pay-1")
    assert api.post(URL, body).json()["code"] == "unknown_member"
    assert Event.objects.count() == 0
    MemberFactory.create(shop=shop, external_id="M1")
    assert _applied(api.post(URL, body))["id"] == "pay-1"


def test_idempotency_key_replays_the_stored_answer(api: Any, member: Member):
    body = event("custom.x", {"n": 1})
    first = api.post(URL, body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    before = row_counts()
    second = api.post(URL, body, headers={"Idempotency-Key": "k-1"})
    assert second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert row_counts() == before


def test_idempotency_key_reused_with_a_different_body_is_refused(api: Any, member: Member):
    api.post(URL, event("custom.x", {"n": 1}), headers={"Idempotency-Key": "k-1"})
    before = row_counts()
    response = api.post(URL, event("custom.x", {"n": 2}), headers={"Idempotency-Key": "k-1"})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == (
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    assert row_counts() == before


def test_refused_request_under_a_key_can_be_retried(api: Any, shop: Any):
    body = event("order.paid", paid_data("O1"))
    refused = api.post(URL, body, headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 422
    assert row_counts()["IdempotencyRecord"] == 0
    MemberFactory.create(shop=shop, external_id="M1")
    retried = api.post(URL, body, headers={"Idempotency-Key": "k-1"})
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["", "k" * 256])
def test_idempotency_key_must_be_1_to_255_characters(api: Any, member: Member, key: str):
    before = row_counts()
    response = api.post(URL, event("custom.x"), headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (
        "validation_error",
        "Idempotency-Key",
    )
    assert row_counts() == before


def test_idempotency_keys_are_per_shop(api: Any, member: Member):
    from patron.core import services as core_services
    from patron.core.tests.client import ApiClient

    other_shop = ShopFactory.create(name="Other")
    MemberFactory.create(shop=other_shop, external_id="M1")
    other = ApiClient(
        core_services.api_key_create(shop=other_shop, name="o", scopes=["events:write"]).token
    )
    body = event("custom.x", id="same-id")
    assert api.post(URL, body, headers={"Idempotency-Key": "k"}).status_code == 201
    second = other.post(URL, body, headers={"Idempotency-Key": "k"})
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Event.objects.filter(external_id="same-id").count() == 2


# --- batches ---------------------------------------------------------------------


def test_batch_applies_good_events_and_rejects_bad_ones_in_order(api: Any, member: Member):
    events = [
        event("order.paid", paid_data("O1"), id="b-0"),
        event("order.refunded", {"order_id": "NOPE", "refund_id": "R1"}, id="b-1"),
        event("order.shipped", {"order_id": "O1"}, id="b-2"),
        event("order.paid", _with(paid_data("O2"), "paid_amount", -1), id="b-3"),
        "not an event",
        event("order.cancelled", {"order_id": "O1"}, id="b-5"),  # shipped: refused
        event("review.posted", {"review_id": "RV1"}, id="b-6"),
        event("order.paid", paid_data("O1"), id="b-0"),  # replay of the first
    ]
    response = api.post(BATCH, {"events": events})
    assert response.status_code == 200
    results = response.json()["results"]
    summary = [
        (
            r["index"],
            r["id"],
            r["status"],
            r.get("replayed"),
            r.get("problem", {}).get("code"),
            r.get("problem", {}).get("field"),
        )
        for r in results
    ]
    assert summary == [
        (0, "b-0", "applied", False, None, None),
        (1, "b-1", "rejected", None, "unknown_order", "data.order_id"),
        (2, "b-2", "applied", False, None, None),
        (3, "b-3", "rejected", None, "validation_error", "data.paid_amount"),
        (4, None, "rejected", None, "validation_error", "body"),
        (5, "b-5", "rejected", None, "invalid_transition", "type"),
        (6, "b-6", "applied", False, None, None),
        (7, "b-0", "applied", True, None, None),
    ]
    assert results[7]["result"] == results[0]["result"]
    assert set(Event.objects.values_list("external_id", flat=True)) == {"b-0", "b-2", "b-6"}
    order = Order.objects.get()
    assert (order.external_id, order.status) == ("O1", "shipped")
    assert [h.to_status for h in order.history.all()] == ["paid", "shipped"]


def test_batch_of_1000_events_is_accepted(api: Any, member: Member):
    events = [event("custom.tick", {"n": i}, id=f"t-{i}") for i in range(1000)]
    response = api.post(BATCH, {"events": events})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 1000
    assert {r["status"] for r in results} == {"applied"}
    assert [r["index"] for r in results] == list(range(1000))
    assert Event.objects.count() == 1000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            lambda: {"events": [event("custom.x") for _ in range(1001)]}, "events", id="1001 events"
        ),
        pytest.param(lambda: {"events": []}, "events", id="no events"),
        pytest.param(lambda: {}, "events", id="events missing"),
        pytest.param(lambda: {"events": {"id": "x"}}, "events", id="events object"),
        pytest.param(lambda: [event("custom.x")], "body", id="bare array"),
    ],
)
def test_bad_batches_are_refused_whole(
    api: Any, member: Member, body: Callable[[], Any], field: str
):
    before = row_counts()
    response = api.post(BATCH, body())
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == ("validation_error", field)
    assert row_counts() == before


def test_batch_under_an_idempotency_key_is_replayed(api: Any, member: Member):
    body = {"events": [event("custom.x", id="x-1"), event("custom.x", member="NOBODY")]}
    first = api.post(BATCH, body, headers={"Idempotency-Key": "batch-1"})
    before = row_counts()
    second = api.post(BATCH, body, headers={"Idempotency-Key": "batch-1"})
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert [r["status"] for r in second.json()["results"]] == ["applied", "rejected"]
    assert row_counts() == before


def test_occurred_at_within_the_allowed_skew_is_accepted(api: Any, member: Member):
    result = _applied(api.post(URL, _with(event("custom.x"), "occurred_at", future(240))))
    assert result["type"] == "custom.x"


def test_stored_event_keeps_the_normalised_payload(api: Any, member: Member):
    _applied(api.post(URL, event("custom.x", {"k": "v"}, id="e-1", occurred_at=OCCURRED_AT)))
    stored = Event.objects.get()
    assert stored.payload == {
        "id": "e-1",
        "type": "custom.x",
        "member": "M1",
        "occurred_at": "2026-11-11T10:00:00+08:00",
        "data": {"k": "v"},
    }
    assert stored.member_external_id == "M1"


def test_batch_refuses_an_unknown_top_level_field_naming_it(api: Any, member: Member):
    before = row_counts()
    response = api.post(BATCH, {"events": [event("custom.x")], "dry_run": True})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == ("validation_error", "dry_run")
    assert row_counts() == before
