"""Another member's coupon code is reported exactly like an unknown code: the
evaluation must not reveal that it exists, nor its name, type or end date."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.checkout import CartIn, checkout_evaluate
from patron.promotions.models import CheckoutHold, Coupon, CouponStatus
from patron.promotions.services import holds
from patron.promotions.tests.conftest import issue, line, make_member, make_template

pytestmark = pytest.mark.django_db

UNKNOWN = "ZZZZ-ZZZZ-ZZZZ-Z"


def without_code(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "code"}


def test_another_members_coupon_reads_as_an_unknown_code(shop: Shop, member: Member) -> None:
    # given another member's generous coupon
    other = make_member(shop, "M2")
    theirs = issue(make_template(shop, name="VIP secret 500 off", amount=50000), other)
    # when this member names its code next to a code that does not exist
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(lines=[line("a", 100000)], coupon_codes=[theirs.code, UNKNOWN]),
    )
    # then both are answered alike, with nothing about the coupon
    entries = ev.answer()["coupons"]
    assert [e["code"] for e in entries] == [theirs.code, "ZZZZZZZZZZZZZ"]
    assert without_code(entries[0]) == without_code(entries[1])
    assert entries[0]["name"] == "" and entries[0]["type"] == ""
    assert entries[0]["valid_until"] is None
    assert entries[0]["reason"]["code"] == "not_found"
    assert (ev.total, ev.selected_codes()) == (100000, [])


def test_evaluate_over_http_hides_another_members_coupon(api, shop: Shop, member: Member) -> None:
    theirs = issue(make_template(shop, name="VIP secret 500 off"), make_member(shop, "M2"))
    cart = {
        "member": "M1",
        "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "unit_price": 5000}],
    }
    response = api.post("/api/v1/checkout/evaluate", {**cart, "coupon_codes": [theirs.code]})
    assert response.status_code == 200, response.content
    assert b"VIP secret" not in response.content
    assert response.json()["coupons"][0]["reason"]["code"] == "not_found"


def test_reserving_with_another_members_coupon_is_refused_as_unknown(
    shop: Shop, member: Member
) -> None:
    theirs = issue(make_template(shop, name="VIP secret 500 off"), make_member(shop, "M2"))
    cart = CartIn(lines=[line("a", 5000)], coupon_codes=[theirs.code])
    with pytest.raises(PatronError) as exc:
        holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=cart)
    unknown = CartIn(lines=[line("a", 5000)], coupon_codes=[UNKNOWN])
    with pytest.raises(PatronError) as exc_unknown:
        holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=unknown)
    assert exc.value.field == exc_unknown.value.field == "coupon_codes[0]"
    assert exc.value.errors[0]["reason"] == exc_unknown.value.errors[0]["reason"]
    assert "VIP" not in exc.value.detail
    assert CheckoutHold.objects.count() == 0
    assert Coupon.objects.get(pk=theirs.pk).status == CouponStatus.AVAILABLE
