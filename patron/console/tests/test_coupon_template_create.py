"""Coupon templates made in the console (form and JSON API) go through the
promotions service: the type's default stacking group, and every bad field
refused as problem+json naming it, with nothing created."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.promotions.checkout import CartIn, checkout_evaluate
from patron.promotions.models import CouponTemplate
from patron.promotions.tests.conftest import issue, line, make_template

pytestmark = pytest.mark.django_db

FORM = {"valid_days": 30, "per_member_limit": 1, "total_limit": 0}


def post_api(client: Any, body: dict[str, Any]) -> Any:
    return client.post(
        "/console/api/coupon-templates", json.dumps(body), content_type="application/json"
    )


def test_free_shipping_made_in_the_console_form_combines_with_a_threshold_coupon(
    as_role: Any, shop: Shop, member: Member
) -> None:
    # given marketing makes a 包邮 template through the console form
    response = as_role("marketing").post(
        "/console/coupon-templates/new/",
        {**FORM, "shop": shop.pk, "code": "ship", "name": "包邮", "type": "free_shipping"},
    )
    assert response.status_code == 302
    ship = CouponTemplate.objects.get(code="ship")
    assert ship.stacking_group == "shipping"
    # when a member holds it and a 满100减10 and checks out ¥200 with ¥10 shipping
    mj = make_template(shop, name="满100减10", type="threshold", amount=1000, threshold=10000)
    c1, c2 = issue(mj, member), issue(ship, member)
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(lines=[line("a", 20000)], shipping_fee=1000, coupon_codes=[c1.code, c2.code]),
    )
    # then both apply: ¥200 - ¥10 off + ¥10 shipping - ¥10 shipping = ¥190
    assert ev.selected_codes() == [c1.code, c2.code]
    assert (ev.coupon_discount, ev.shipping_discount, ev.total) == (1000, 1000, 19000)


def test_the_api_applies_the_default_group_unless_one_is_given(as_role: Any, shop: Shop) -> None:
    client = as_role("marketing")
    base = {"shop_id": shop.pk, "name": "包邮", "type": "free_shipping"}
    assert post_api(client, {**base, "code": "ship-1"}).status_code == 201
    given = post_api(client, {**base, "code": "ship-2", "stacking_group": "platform"})
    assert given.status_code == 201
    fixed = post_api(client, {**base, "code": "fixed-1", "type": "fixed", "amount": 500})
    assert fixed.status_code == 201
    groups = dict(CouponTemplate.objects.values_list("code", "stacking_group"))
    assert groups == {"ship-1": "shipping", "ship-2": "platform", "fixed-1": "order"}
    assert AuditLog.objects.filter(action="coupon_template.create").count() == 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "percent", "percent": 150}, "percent"),
        ({"type": "percent", "percent": 0}, "percent"),
        ({"type": "percent", "percent": -5}, "percent"),
        ({"type": "bogus", "amount": 100}, "type"),
        ({"amount": -1}, "amount"),
        ({"amount": 10**13}, "amount"),
        ({"amount": 0}, "amount"),
        ({"threshold": -1}, "threshold"),
        ({"type": "threshold", "amount": 5000, "threshold": 5000}, "amount"),
        ({"type": "threshold", "amount": 5000, "threshold": 0}, "threshold"),
        ({"valid_days": 0}, "valid_days"),
        ({"per_member_limit": -1}, "per_member_limit"),
        ({"total_limit": -1}, "total_limit"),
        ({"total_limit": 2**40}, "total_limit"),
        ({"code": "has space"}, "code"),
        ({"name": " "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"stacking_group": "g" * 31}, "stacking_group"),
    ],
)
def test_bad_template_input_is_a_problem_naming_the_field(
    as_role: Any, shop: Shop, change: dict[str, Any], field: str
) -> None:
    body = {"shop_id": shop.pk, "code": "c1", "name": "券", "type": "fixed", "amount": 500}
    response = post_api(as_role("marketing"), {**body, **change})
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("validation_error", field)
    assert CouponTemplate.objects.count() == 0
    assert AuditLog.objects.filter(action="coupon_template.create").count() == 0


def test_a_taken_code_is_the_only_duplicate(as_role: Any, shop: Shop) -> None:
    client = as_role("marketing")
    body = {"shop_id": shop.pk, "code": "c1", "name": "券", "type": "fixed", "amount": 500}
    assert post_api(client, body).status_code == 201
    again = post_api(client, {**body, "name": "another"})
    assert again.status_code == 409
    assert (again.json()["code"], again.json()["field"]) == ("duplicate", "code")
    assert CouponTemplate.objects.count() == 1
