"""``/api/v1/service/returns``: list, read, create, transitions; problem+json
naming the field, Idempotency-Key, pagination, the service scope."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import ReturnRequest
from patron.service.tests.returns_helpers import delivered_order, earning, refunded

pytestmark = pytest.mark.django_db
URL = "/api/v1/service/returns"


@pytest.fixture
def order(shop: Shop, member: Member) -> Any:
    earning(shop)
    return delivered_order(shop, member)


def body(**kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "member": "m1",
        "order_id": "O1",
        "lines": [{"line_id": "L1", "quantity": 1}],
        "kind": "return",
        "reason": "defective",
        "description": "鞋底开胶",
    }
    data.update(kw)
    return data


def test_the_shop_works_a_return_through_the_api_to_its_refund(api, shop, member, order):
    created = api.post(URL, body(), headers={"Idempotency-Key": "k1"})
    assert created.status_code == 201, created.content
    doc = created.json()
    assert (doc["state"], doc["lines"][0]["line_id"], doc["reason"]) == (
        "requested",
        "L1",
        "defective",
    )
    again = api.post(URL, body(), headers={"Idempotency-Key": "k1"})
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert ReturnRequest.objects.count() == 1
    steps = [
        {"action": "approve"},
        {"action": "goods_sent", "carrier": "顺丰", "tracking_number": "SF9"},
        {"action": "receive"},
        {"action": "refund"},
    ]
    for step in steps:
        moved = api.post(f"{URL}/{doc['id']}/transitions", step)
        assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == "refund_requested"
    refunded(shop, member, moved.json()["refund_id"], {"L1": 1})
    read = api.get(f"{URL}/{doc['id']}").json()
    assert read["state"] == "closed"
    assert read["refund_amount"] == 10000
    assert read["return_tracking"] == {"carrier": "顺丰", "tracking_number": "SF9"}
    assert [s["state"] for s in read["steps"]][-2:] == ["refunded", "closed"]


@pytest.mark.parametrize(
    ("kw", "field", "status"),
    [
        ({"order_id": "O404"}, "order_id", 422),
        ({"member": "nobody"}, "member", 422),
        ({"lines": [{"line_id": "L1", "quantity": 0}]}, "lines[0].quantity", 422),
        ({"lines": [{"line_id": "L1", "quantity": 5}]}, "lines[0].quantity", 422),
        ({"lines": [{"line_id": "L7", "quantity": 1}]}, "lines[0].line_id", 422),
        ({"kind": "swap"}, "kind", 422),
        ({"reason": "bored"}, "reason", 422),
        ({"lines": []}, "lines", 422),
    ],
)
def test_a_refused_request_is_problem_json_naming_the_field(api, order, kw, field, status):
    answer = api.post(URL, body(**kw))
    assert answer.status_code == status, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["field"] == field
    assert ReturnRequest.objects.count() == 0


def test_a_step_out_of_turn_is_409_naming_the_state(api, order):
    doc = api.post(URL, body()).json()
    answer = api.post(f"{URL}/{doc['id']}/transitions", {"action": "receive"})
    assert answer.status_code == 409
    assert (answer.json()["code"], answer.json()["field"]) == ("invalid_transition", "state")
    refuse = api.post(f"{URL}/{doc['id']}/transitions", {"action": "refuse"})
    assert (refuse.status_code, refuse.json()["field"]) == (422, "reason")
    bad = api.post(f"{URL}/{doc['id']}/transitions", {"action": "fly"})
    assert (bad.status_code, bad.json()["field"]) == (422, "action")


def test_list_filters_and_pages_newest_first(api, shop, member, order):
    ids = [api.post(URL, body()).json()["id"] for _ in range(2)]
    first = api.get(URL, limit=1).json()
    assert [r["id"] for r in first["items"]] == [ids[1]]
    second = api.get(URL, limit=1, before=first["next_before"]).json()
    assert [r["id"] for r in second["items"]] == [ids[0]] and second["next_before"] is None
    assert api.get(URL, state="approved").json()["items"] == []
    assert len(api.get(URL, member="m1", order_id="O1").json()["items"]) == 2


def test_another_shops_request_is_not_found(api, order, db):
    other = Shop.objects.create(name="Other")
    from patron.core import services as core_services
    from patron.core.tests.client import ApiClient

    theirs = ApiClient(core_services.api_key_create(shop=other, name="o", scopes=["service"]).token)
    doc = api.post(URL, body()).json()
    assert theirs.get(f"{URL}/{doc['id']}").status_code == 404
    assert theirs.post(f"{URL}/{doc['id']}/transitions", {"action": "approve"}).status_code == 404


def test_the_service_scope_is_needed(make_api, order):
    without = make_api("members:read")
    assert without.get(URL).status_code == 403
    assert without.post(URL, body()).status_code == 403
    assert ReturnRequest.objects.count() == 0
