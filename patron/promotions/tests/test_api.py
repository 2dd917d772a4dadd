"""The shop API for coupons, checkout and rewards, over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.models import CouponStatus
from patron.promotions.tests.conftest import give_points, issue, make_template

pytestmark = pytest.mark.django_db

CART: dict[str, Any] = {
    "member": "M1",
    "lines": [
        {"line_id": "1", "sku": "A", "category": "shoes", "quantity": 1, "unit_price": 25000},
        {"line_id": "2", "sku": "B", "quantity": 2, "unit_price": 3000},
    ],
    "shipping_fee": 1000,
}


def test_evaluate_answers_prices_coupons_and_points(api, shop: Shop, member: Member) -> None:
    give_points(member, 5000)
    c = issue(
        make_template(shop, name="满300减50", type="threshold", amount=5000, threshold=30000),
        member,
    )
    response = api.post("/api/v1/checkout/evaluate", {**CART, "points": 2000})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["best_combination"] == {"codes": [c.code], "discount": 5000}
    assert body["coupons"][0]["reason"] is None
    assert body["points"]["used"] == 2000 and body["points"]["value"] == 2000
    assert body["total"] == 31000 + 1000 - 5000 - 2000
    assert [ln["to_pay"] for ln in body["lines"]] == [25000 - 4032 - 1613, 6000 - 968 - 387]


def test_evaluate_refuses_bad_input_naming_the_field(api, member: Member) -> None:
    bad = {**CART, "lines": [{**CART["lines"][0], "unit_price": -1}]}
    response = api.post("/api/v1/checkout/evaluate", bad)
    assert response.status_code == 422
    assert response.json()["field"] == "lines[0].unit_price"
    dup = {**CART, "lines": [CART["lines"][0], CART["lines"][0]]}
    assert api.post("/api/v1/checkout/evaluate", dup).status_code == 422
    assert (
        api.post("/api/v1/checkout/evaluate", {**CART, "member": "nobody"}).json()["code"]
        == "unknown_member"
    )


def test_reserve_is_idempotent_and_conflicts_on_another_cart(
    api, shop: Shop, member: Member
) -> None:
    c = issue(make_template(shop, amount=1000), member)
    first = api.post("/api/v1/checkout/reserve", {**CART, "order_id": "O-9"})
    assert first.status_code == 201, first.content
    assert first.json()["coupons"] == [c.code]
    again = api.post("/api/v1/checkout/reserve", {**CART, "order_id": "O-9"})
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    other = api.post("/api/v1/checkout/reserve", {**CART, "order_id": "O-9", "shipping_fee": 0})
    assert other.status_code == 409 and other.json()["field"] == "order_id"
    released = api.post("/api/v1/checkout/release", {"order_id": "O-9"})
    assert released.json() == {"order_id": "O-9", "status": "released"}
    c.refresh_from_db()
    assert c.status == CouponStatus.AVAILABLE
    assert api.post("/api/v1/checkout/release", {"order_id": "O-9"}).status_code == 404


def test_coupon_wallet_and_claim(api, shop: Shop, member: Member) -> None:
    t = make_template(shop, code="welcome", claimable=True, per_member_limit=1)
    claimed = api.post("/api/v1/members/M1/coupons/claim", {"template": "welcome"})
    assert claimed.status_code == 201, claimed.content
    assert claimed.json()["template"] == "welcome"
    assert (
        api.post("/api/v1/members/M1/coupons/claim", {"template": "welcome"}).json()["code"]
        == "limit_reached"
    )
    wallet = api.get("/api/v1/members/M1/coupons").json()["coupons"]
    assert [w["status"] for w in wallet] == [CouponStatus.AVAILABLE]
    assert t.pk
