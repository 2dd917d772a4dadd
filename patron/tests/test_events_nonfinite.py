"""NaN and Infinity are not JSON: refused with a 422 naming the field, never
stored (SQLite) and never a database error (PostgreSQL jsonb)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core.validation import find_unstorable
from patron.events.models import Event
from patron.events.tests.factories import event, paid_data
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order
from patron.tests.factories import row_counts

URL = "/api/v1/events"
BATCH = "/api/v1/events/batch"

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(shop: Any) -> Member:
    return MemberFactory.create(shop=shop, external_id="M1")


def _raw(body: dict[str, Any], literal: str) -> str:
    """``body`` as JSON text with the "__X__" placeholder replaced by a
    non-JSON number literal, as a buggy shop client would send it."""
    return json.dumps(body).replace('"__X__"', literal)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (float("nan"), "body"),
        ({"v": float("inf")}, "v"),
        ({"data": {"lines": [{"q": 1}, {"q": float("-inf")}]}}, "data.lines[1].q"),
        ({"ok": 1.5, "big": 10**30, "s": "x"}, None),
    ],
)
def test_find_unstorable_names_the_first_non_finite_number(value: Any, path: str | None):
    assert find_unstorable(value) == path


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(event("custom.x", {"v": "__X__"}), "data.v", id="custom data"),
        pytest.param(
            event("custom.x", {"deep": {"list": [1, {"v": "__X__"}]}}),
            "data.deep.list[1].v",
            id="nested",
        ),
        pytest.param(
            event("order.paid", paid_data("O1", paid_amount="__X__")),
            "data.paid_amount",
            id="typed field",
        ),
        pytest.param({**event("custom.x"), "extra": "__X__"}, "extra", id="envelope"),
    ],
)
def test_non_finite_number_is_refused_naming_the_field(
    api: Any, member: Member, body: dict[str, Any], field: str, literal: str
):
    before = row_counts()
    response = api.post(URL, raw=_raw(body, literal), headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("validation_error", field)
    assert "non-finite" in problem["detail"]
    assert row_counts() == before


def test_batch_rejects_only_the_event_with_a_non_finite_number(api: Any, member: Member):
    events = [
        event("order.paid", paid_data("O1"), id="b-0"),
        event("custom.x", {"v": "__X__"}, id="b-1"),
        event("order.paid", paid_data("O2"), member="M2", id="b-2"),
        event("review.posted", {"review_id": "RV1"}, id="b-3"),
    ]
    MemberFactory.create(shop=member.shop, external_id="M2")
    response = api.post(BATCH, raw=_raw({"events": events}, "NaN"))
    assert response.status_code == 200, response.content
    summary = [
        (r["index"], r["id"], r["status"], r.get("problem", {}).get("field"))
        for r in response.json()["results"]
    ]
    assert summary == [
        (0, "b-0", "applied", None),
        (1, "b-1", "rejected", "data.v"),
        (2, "b-2", "applied", None),
        (3, "b-3", "applied", None),
    ]
    assert set(Event.objects.values_list("external_id", flat=True)) == {"b-0", "b-2", "b-3"}
    assert set(Order.objects.values_list("external_id", flat=True)) == {"O1", "O2"}


@pytest.mark.parametrize("literal", ["NaN", "1e999"])
def test_member_registration_with_a_non_finite_number_is_refused(api: Any, shop: Any, literal: str):
    body = event("member.registered", {"name": "王芳", "consents": {"email": "__X__"}}, member="M9")
    response = api.post(URL, raw=_raw(body, literal))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "data.consents.email"
    assert not Member.objects.filter(external_id="M9").exists()
