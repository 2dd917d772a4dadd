"""GET /members/{id}/orders: a member's orders with status, lines and the
points each line earned, paginated, scoped to the key's shop."""

from __future__ import annotations

from patron.core import clock
from patron.core.models import ApiScope, Shop
from patron.members.models import Member
from patron.points.tests.conftest import make_rule
from patron.points.tests.test_api import _paid


def test_orders_list_status_lines_and_points_per_line(api, shop, member, program):
    make_rule(shop, points_per_yuan=1)
    body = _paid("O1", [("A", 2, 5000), ("B", 1, 3000)], shipping_fee=1000)
    body["data"]["paid_amount"] += 1000  # paid includes shipping
    assert api.post("/api/v1/events", body).status_code == 201
    refund = {
        "id": "ev-r1",
        "type": "order.refunded",
        "member": "M1",
        "occurred_at": clock.now().isoformat(),
        "data": {"order_id": "O1", "refund_id": "R1", "lines": [{"line_id": "L1", "quantity": 1}]},
    }
    assert api.post("/api/v1/events", refund).status_code == 201

    response = api.get("/api/v1/members/M1/orders")

    assert response.status_code == 200, response.content
    [order] = response.json()["items"]
    assert order["order_id"] == "O1"
    assert order["status"] == "partially_refunded"
    assert order["paid_amount"] == 14000 and order["shipping_fee"] == 1000
    assert [(ln["line_id"], ln["points"], ln["points_reversed"]) for ln in order["lines"]] == [
        ("L1", 100, 50),
        ("L2", 30, 0),
    ]
    assert order["points"] == 130 and order["points_reversed"] == 50
    assert order["lines"][0]["refunded_quantity"] == 1
    assert response.json()["next_before"] is None


def test_orders_list_pages_newest_first(api, shop, member, program):
    for n in range(3):
        assert api.post("/api/v1/events", _paid(f"O{n}", [("A", 1, 100)])).status_code == 201

    first = api.get("/api/v1/members/M1/orders", limit=2).json()
    second = api.get("/api/v1/members/M1/orders", limit=2, before=first["next_before"]).json()

    assert [o["order_id"] for o in first["items"]] == ["O2", "O1"]
    assert [o["order_id"] for o in second["items"]] == ["O0"]
    assert second["next_before"] is None
    assert all(line["points"] == 0 for o in first["items"] for line in o["lines"])


def test_orders_list_is_scoped_to_the_shop_and_the_scope(make_api, shop, member, program):
    other = Shop.objects.create(name="Other")
    now = clock.now()
    Member.objects.create(
        shop=other, external_id="M2", registered_at=now, created_at=now, updated_at=now
    )
    reader = make_api(ApiScope.MEMBERS_READ)
    assert reader.get("/api/v1/members/M1/orders").status_code == 200
    assert reader.get("/api/v1/members/M2/orders").status_code in {404, 422}
    forbidden = make_api(ApiScope.POINTS_READ, ApiScope.CHECKOUT)
    response = forbidden.get("/api/v1/members/M1/orders")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
