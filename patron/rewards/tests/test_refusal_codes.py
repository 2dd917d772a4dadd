"""A refusal names its specific reason in the problem's top-level ``code``
(``held``, ``sold_out``, ``insufficient_points``, ...), the same code the
coupon's ``reason`` carries, never the generic ``conflict``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import ErrorCode
from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.models import FlashSale
from patron.promotions.tests.conftest import give_points, issue, make_template
from patron.rewards.models import Reward

pytestmark = pytest.mark.django_db

RESERVE = "/api/v1/checkout/reserve"
LINES = [{"line_id": "1", "sku": "A", "quantity": 1, "unit_price": 25000}]


def _reserve(api: Any, order_id: str, **cart: Any) -> Any:
    return api.post(RESERVE, {"member": "M1", "lines": LINES, "order_id": order_id, **cart})


def _refused(response: Any, code: str, field: str) -> dict[str, Any]:
    assert response.status_code == 409, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert (problem["code"], problem["field"]) == (code, field)
    assert problem["type"].endswith(f"/{code}")
    return problem


def test_a_coupon_held_by_another_order_is_refused_as_held(api: Any, shop: Shop, member: Member):
    coupon = issue(make_template(shop, amount=1000), member)
    assert _reserve(api, "O-1", coupon_codes=[coupon.code]).status_code == 201

    problem = _refused(_reserve(api, "O-2", coupon_codes=[coupon.code]), "held", "coupon_codes[0]")

    assert problem["errors"][0]["reason"]["code"] == "held"


def test_a_coupon_below_its_threshold_is_refused_as_threshold(api: Any, shop: Shop, member: Member):
    coupon = issue(make_template(shop, type="threshold", amount=5000, threshold=30000), member)

    problem = _refused(
        _reserve(api, "O-1", coupon_codes=[coupon.code]), "threshold", "coupon_codes[0]"
    )

    assert problem["errors"][0]["reason"]["code"] == "threshold"


def test_more_points_than_the_member_has_is_insufficient_points(api: Any, member: Member):
    give_points(member, 100)

    _refused(_reserve(api, "O-1", points=500), "insufficient_points", "points")


def test_a_paid_order_and_another_cart_for_a_held_order_say_which(
    api: Any, shop: Shop, member: Member, send: Any
):
    assert _reserve(api, "O-1").status_code == 201
    _refused(_reserve(api, "O-1", shipping_fee=500), "hold_exists", "order_id")
    send(
        "order.paid",
        "M1",
        {"order_id": "O-9", "lines": [{**LINES[0], "line_id": "1"}], "paid_amount": 25000},
    )
    _refused(_reserve(api, "O-9"), "order_paid", "order_id")


def test_claims_and_redemptions_name_their_refusal(api: Any, shop: Shop, member: Member):
    now = clock.now()
    make_template(shop, code="hidden")
    make_template(shop, code="gone", claimable=True, active=False)
    make_template(shop, code="gold", claimable=True, tier_codes=["gold"])
    later = FlashSale.objects.create(
        shop=shop,
        name="later",
        template=make_template(shop),
        quantity=1,
        starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=2),
    )
    empty = FlashSale.objects.create(
        shop=shop,
        name="empty",
        template=make_template(shop),
        quantity=1,
        claimed_count=1,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
    )
    ended = Reward.objects.create(
        shop=shop,
        name="past",
        kind="physical",
        points_price=1,
        ends_at=now - dt.timedelta(days=1),
        created_at=now,
    )
    claim = "/api/v1/members/M1/coupons/claim"

    _refused(api.post(claim, {"template": "hidden"}), "not_claimable", "template")
    _refused(api.post(claim, {"template": "gone"}), "inactive", "template")
    _refused(api.post(claim, {"template": "gold"}), "tier", "member")
    _refused(api.post(f"/api/v1/members/M1/flash-sales/{later.pk}/claim"), "not_started", "sale")
    _refused(api.post(f"/api/v1/members/M1/flash-sales/{empty.pk}/claim"), "sold_out", "sale")
    _refused(
        api.post("/api/v1/members/M1/redemptions", {"reward_id": ended.pk, "request_id": "r"}),
        "ended",
        "reward",
    )


def test_every_error_code_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    missing = [code.value for code in ErrorCode if f"`{code.value}`" not in readme]
    assert missing == []
