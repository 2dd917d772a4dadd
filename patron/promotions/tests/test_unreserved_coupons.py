"""order.paid naming coupons the shop applied without a reserve: the member's
usable ones become used on the order (so they cannot be used again), and come
back when the order is cancelled or fully refunded."""

from __future__ import annotations

from typing import Any

import pytest

from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.promotions.checkout import CartIn
from patron.promotions.models import Coupon, CouponStatus, CouponTemplate
from patron.promotions.services import holds
from patron.promotions.tests.conftest import issue, line, make_template

pytestmark = pytest.mark.django_db


def paid(order_id: str, codes: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "lines": [{"line_id": "a", "sku": "A", "quantity": 1, "unit_price": 20000}],
        "paid_amount": 19000,
        "discount_amount": 1000,
        "coupon_codes": codes,
        **extra,
    }


def effects(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in result["effects"] if e["type"] == kind]


def status(coupon: Coupon) -> tuple[str, str]:
    coupon.refresh_from_db()
    return coupon.status, coupon.used_order_id


def test_named_coupons_are_used_and_cannot_be_used_again(shop, member: Member, send) -> None:
    template = make_template(shop, name="立减10")
    someone: Member = MemberFactory(shop=shop)  # type: ignore[assignment]
    mine, other_members = issue(template, member), issue(template, someone)
    spaced = f" {mine.code[:4]}-{mine.code[4:]} ".lower()  # as a person might type it
    result = send(
        "order.paid", member.external_id, paid("O1", [spaced, other_members.code, "SHOP-OWN-1"])
    )
    assert effects(result, "coupons.used") == [
        {"type": "coupons.used", "order_id": "O1", "coupons": [mine.code]}
    ]
    # Someone else's code is refused without a word about it; the shop's own code is ignored.
    assert effects(result, "coupon.not_used") == [
        {
            "type": "coupon.not_used",
            "order_id": "O1",
            "code": other_members.code,
            "reason": "not_usable",
        }
    ]
    assert status(mine) == (CouponStatus.USED, "O1")
    assert status(other_members) == (CouponStatus.AVAILABLE, "")
    assert CouponTemplate.objects.get(pk=template.pk).used_count == 1
    # The same coupon on a second order is refused as used, and cannot be reserved either.
    again = send("order.paid", member.external_id, paid("O2", [mine.code]))
    assert effects(again, "coupon.not_used")[0]["reason"] == "used"
    evaluation_cart = CartIn(lines=[line("a", 20000)], coupon_codes=[mine.code])
    from patron.promotions.checkout import checkout_evaluate

    view = checkout_evaluate(shop=shop, member=member, cart=evaluation_cart).coupons[0]
    assert view.reason is not None


def test_cancel_and_full_refund_give_the_coupons_back(shop, member: Member, send) -> None:
    template = make_template(shop)
    first, second = issue(template, member), issue(template, member)
    send("order.paid", member.external_id, paid("O1", [first.code]))
    send("order.paid", member.external_id, paid("O2", [second.code]))
    cancelled = send("order.cancelled", member.external_id, {"order_id": "O1"})
    assert effects(cancelled, "coupons.returned")[0]["coupons"] == [first.code]
    assert status(first) == (CouponStatus.AVAILABLE, "")
    # The full refund of O2 returns its coupon.
    refund = {"order_id": "O2", "refund_id": "R1"}
    result = send("order.refunded", member.external_id, refund)
    assert effects(result, "coupons.returned")[0]["coupons"] == [second.code]
    assert status(second) == (CouponStatus.AVAILABLE, "")
    assert CouponTemplate.objects.get(pk=template.pk).used_count == 0


def test_a_reserved_order_is_settled_by_its_hold_only(shop, member: Member, send) -> None:
    template = make_template(shop)
    coupon = issue(template, member)
    cart = CartIn(lines=[line("a", 20000, sku="A")], coupon_codes=[coupon.code])
    hold, _ = holds.checkout_reserve(shop=shop, member=member, order_id="O1", cart=cart)
    result = send(
        "order.paid",
        member.external_id,
        paid("O1", [coupon.code], paid_amount=hold.total, discount_amount=hold.coupon_discount),
    )
    assert effects(result, "checkout_hold.captured")
    assert not effects(result, "coupons.used") and not effects(result, "coupon.not_used")
    assert status(coupon) == (CouponStatus.USED, "O1")
    assert CouponTemplate.objects.get(pk=template.pk).used_count == 1
