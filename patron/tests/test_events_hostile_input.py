"""Input that used to reach the database or the serialisers and fail there
with a 500: amounts past the 64-bit limit, deeply nested data, and external
ids that can never be read back through a URL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core.tests.client import ApiClient
from patron.events.schemas import MAX_FEN
from patron.events.tests.factories import event, paid_data
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order
from patron.tests.factories import row_counts

URL = "/api/v1/events"
BATCH = "/api/v1/events/batch"


@pytest.fixture
def member(shop: Any) -> Member:
    return MemberFactory.create(shop=shop, external_id="M1")


def _huge_lines(count: int = 100) -> list[dict[str, Any]]:
    # 100 lines of 100,000 × ¥10 billion: every field within its own bounds,
    # the order's total (10^19 fen) past what a 64-bit integer holds.
    return [
        {"line_id": f"L{i}", "sku": "SKU", "quantity": 100_000, "unit_price": MAX_FEN}
        for i in range(count)
    ]


def _refused(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["code"], body["field"]) == ("validation_error", field)
    return body


def test_an_order_past_the_64_bit_limit_is_refused_naming_the_lines(
    api: ApiClient, member: Member
) -> None:
    before = row_counts()
    body = _refused(api.post(URL, event("order.paid", paid_data("O1", lines=_huge_lines()))),
                    "data.lines")  # fmt: skip
    assert "at most" in body["detail"]
    # A line within bounds, the sum of many such lines past the order limit.
    lines = [
        {"line_id": f"L{i}", "sku": "SKU", "quantity": 1, "unit_price": MAX_FEN} for i in range(3)
    ]
    _refused(api.post(URL, event("order.paid", paid_data("O2", lines=lines))), "data.lines")
    assert row_counts() == before


def test_an_overflowing_order_in_a_batch_is_refused_alone(api: ApiClient, member: Member) -> None:
    huge = event("order.paid", paid_data("O1", lines=_huge_lines()))
    plain = event("order.paid", paid_data("O2"))
    response = api.post(BATCH, {"events": [huge, plain]})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "applied"]
    assert results[0]["problem"]["field"] == "data.lines"
    assert list(Order.objects.values_list("external_id", flat=True)) == ["O2"]


def test_the_points_preview_refuses_the_same_orders(api: ApiClient, member: Member) -> None:
    body = {**paid_data("O1", lines=_huge_lines()), "member": "M1"}
    response = api.post("/api/v1/points/preview", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "lines"


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [256, 300, 900])
def test_custom_data_nested_too_deep_is_refused(api: ApiClient, member: Member, depth: int):
    before = row_counts()
    english = {"Accept-Language": "en"}
    body = _refused(
        api.post(URL, event("custom.deep", _nested(depth)), headers=english), "data" + ".a" * 31
    )
    assert "deeper than 32" in body["detail"]
    batch = api.post(BATCH, {"events": [event("custom.deep", _nested(depth))]})
    assert batch.status_code == 200, batch.content
    assert batch.json()["results"][0]["status"] == "rejected"
    assert row_counts() == before


def test_a_body_nested_past_the_json_reader_is_refused(api: ApiClient, member: Member) -> None:
    raw = '{"id": "e1", "data": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = api.post(URL, raw=raw)
    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_custom_data_within_the_limit_is_applied(api: ApiClient, member: Member) -> None:
    response = api.post(URL, event("custom.deep", _nested(30)))
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("bad", ["a/b", "/", "..", ".", " .. "])
def test_ids_that_cannot_be_url_segments_are_refused(
    api: ApiClient, member: Member, bad: str
) -> None:
    before = row_counts()
    _refused(api.post(URL, event("member.registered", {}, member=bad)), "member")
    _refused(api.post(URL, event("custom.x", {}, id=bad)), "id")
    _refused(api.post(URL, event("order.paid", paid_data(bad))), "data.order_id")
    _refused(api.post(URL, event("order.refunded", {"order_id": bad, "refund_id": "R1"})),
             "data.order_id")  # fmt: skip
    _refused(api.post("/api/v1/members", {"external_id": bad}), "external_id")
    assert row_counts() == before


def test_ids_with_dots_inside_are_still_fine(api: ApiClient, member: Member) -> None:
    for ok in ("a.b", "...", "M.1"):
        response = api.post("/api/v1/members", {"external_id": ok})
        assert response.status_code == 201, response.content
        assert api.get(f"/api/v1/members/{ok}").status_code == 200


def test_a_member_stored_before_the_rule_can_still_be_updated(api: ApiClient, shop: Any) -> None:
    MemberFactory.create(shop=shop, external_id="legacy/1")
    response = api.post("/api/v1/members", {"external_id": "legacy/1", "name": "旧会员"})
    assert response.status_code == 200, response.content
    assert json.loads(response.content)["name"] == "旧会员"
