"""Checkout holds: reserve, capture on payment, release on cancel and time-out,
and partial refunds returning exactly the refunded lines' points."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order
from patron.points.models import EntryKind, LedgerEntry
from patron.promotions.checkout import CartIn
from patron.promotions.models import CheckoutHold, Coupon, CouponStatus, CouponTemplate, HoldStatus
from patron.promotions.services import holds
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    issue,
    line,
    make_template,
)

pytestmark = pytest.mark.django_db

LINES = [line("a", 20000, sku="A"), line("b", 5000, quantity=2, sku="B")]  # ¥300


def reserve(shop: Shop, member: Member, order_id: str = "O-1", **kw: Any) -> CheckoutHold:
    cart = CartIn(lines=kw.pop("lines", LINES), shipping_fee=kw.pop("shipping_fee", 1000), **kw)
    hold, _ = holds.checkout_reserve(shop=shop, member=member, order_id=order_id, cart=cart)
    return hold


def paid_data(hold: CheckoutHold, lines=LINES, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": hold.order_id,
        "lines": [
            {
                "line_id": ln.line_id,
                "sku": ln.sku,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
            }
            for ln in lines
        ],
        "paid_amount": hold.total,
        "shipping_fee": hold.shipping_fee,
        "discount_amount": hold.coupon_discount + hold.shipping_discount,
        "points_used": hold.points,
        "points_amount": hold.points_value,
        "coupon_codes": list(hold.coupons.values_list("code", flat=True)),
        **extra,
    }


@pytest.fixture
def setup(shop: Shop, member: Member) -> tuple[Coupon, Coupon]:
    give_points(member, 10000)
    mj = issue(
        make_template(
            shop, name="满300减50", type="threshold", amount=5000, threshold=30000, budget=100000
        ),
        member,
    )
    ship = issue(make_template(shop, name="包邮", type="free_shipping"), member)
    return mj, ship


def test_reserve_holds_coupons_and_points(shop: Shop, member: Member, setup) -> None:
    mj, _ship = setup
    hold = reserve(shop, member, points=5000)
    # ¥300 - ¥50 = ¥250; points at most 50% = ¥125 → 5,000 points (¥50) wanted are fine
    assert (hold.coupon_discount, hold.shipping_discount, hold.points, hold.points_value) == (
        5000,
        1000,
        5000,
        5000,
    )
    assert hold.total == 30000 + 1000 - 5000 - 1000 - 5000
    assert set(Coupon.objects.filter(hold=hold).values_list("status", flat=True)) == {"held"}
    assert available_points(member) == 5000
    assert CouponTemplate.objects.get(pk=mj.template_id).budget_used == 5000
    lines = {ln.line_id: ln for ln in hold.lines.all()}
    # coupon 5000 split 20000:10000 → 3333/1667;
    # points 5000 over 16667:8333 → 3333.4/1666.6 → 3333/1667
    assert (lines["a"].coupon_discount, lines["b"].coupon_discount) == (3333, 1667)
    assert (lines["a"].points, lines["b"].points) == (3333, 1667)
    assert lines["a"].pay_amount + lines["b"].pay_amount + 0 == hold.total


def test_reserve_is_idempotent_per_order_and_refuses_a_different_cart(
    shop: Shop, member: Member, setup
) -> None:
    first = reserve(shop, member, points=1000)
    again, created = holds.checkout_reserve(
        shop=shop,
        member=member,
        order_id="O-1",
        cart=CartIn(lines=LINES, shipping_fee=1000, points=1000),
    )
    assert again.pk == first.pk and created is False
    assert available_points(member) == 9000
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, points=2000)
    assert exc.value.field == "order_id"


def test_reserve_refuses_points_beyond_the_cap_and_unusable_coupons(
    shop: Shop, member: Member, setup
) -> None:
    give_points(member, 10000)
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, points=13000)  # at most 50% of ¥250 = 12,500 points
    assert exc.value.field == "points"
    assert (
        exc.value.detail_en
        == "13000 points cannot be used: At most 12500 points can be used on this order"
    )
    other = issue(make_template(shop, name="立减", amount=1000), member)  # same group as 满减
    mj, _ = setup
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, order_id="O-2", coupon_codes=[mj.code, other.code])
    assert exc.value.field == "coupon_codes[1]"
    assert "Cannot be combined" in exc.value.detail_en
    assert CheckoutHold.objects.count() == 0
    assert Coupon.objects.filter(status="held").count() == 0


def test_order_paid_captures_the_hold(shop: Shop, member: Member, setup, send) -> None:
    hold = reserve(shop, member, points=5000)
    result = send("order.paid", member.external_id, paid_data(hold))
    hold.refresh_from_db()
    assert hold.status == HoldStatus.CAPTURED
    assert {e["type"] for e in result["effects"]} >= {"checkout_hold.captured"}
    assert not any(e["type"] == "points.redeemed" for e in result["effects"])
    assert set(Coupon.objects.filter(hold=hold).values_list("status", "used_order_id")) == {
        ("used", "O-1")
    }
    assert available_points(member) == 5000  # taken once, at the hold
    kinds = list(
        LedgerEntry.objects.filter(account__member=member)
        .order_by("pk")
        .values_list("kind", "points")
    )
    assert kinds[-2:] == [(EntryKind.HOLD, -5000), (EntryKind.CAPTURE, 0)]


def test_an_order_already_paid_cannot_be_reserved_again(
    shop: Shop, member: Member, setup, send
) -> None:
    mj, _ = setup
    hold = reserve(shop, member, points=5000, coupon_codes=[mj.code])
    send("order.paid", member.external_id, paid_data(hold))
    # A reserve for it after the payment holds nothing more: the same cart
    # gets the captured hold back, another cart a conflict.
    again, created = holds.checkout_reserve(
        shop=shop,
        member=member,
        order_id="O-1",
        cart=CartIn(lines=LINES, shipping_fee=1000, points=5000, coupon_codes=[mj.code]),
    )
    assert (again.pk, again.status, created) == (hold.pk, HoldStatus.CAPTURED, False)
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, points=1000)
    assert (exc.value.code, exc.value.field) == ("hold_exists", "order_id")
    assert CheckoutHold.objects.filter(order_id="O-1").count() == 1
    assert available_points(member) == 5000
    # Nor a reserve for a paid order that never had a hold.
    send(
        "order.paid",
        member.external_id,
        paid_data(hold, order_id="O-9", points_used=0, points_amount=0, coupon_codes=[]),
    )
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, order_id="O-9")
    assert (exc.value.code, exc.value.field) == ("order_paid", "order_id")
    assert "already paid" in exc.value.detail_en
    assert not CheckoutHold.objects.filter(order_id="O-9").exists()
    assert Coupon.objects.filter(status="held").count() == 0


def test_a_coupon_is_never_used_twice(shop: Shop, member: Member, setup) -> None:
    mj, _ = setup
    reserve(shop, member, order_id="O-1", coupon_codes=[mj.code])
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, order_id="O-2", coupon_codes=[mj.code])
    assert exc.value.field == "coupon_codes[0]"
    assert "reserved for another order" in exc.value.detail_en


def test_cancel_before_payment_releases_everything(shop: Shop, member: Member, setup, send) -> None:
    mj, ship = setup
    hold = reserve(shop, member, points=5000)
    released = holds.hold_on_order_cancelled(shop=shop, order_id="O-1", order_pk=None)
    assert released is not None and released.status == HoldStatus.RELEASED
    assert available_points(member) == 10000
    assert set(Coupon.objects.filter(pk__in=[mj.pk, ship.pk]).values_list("status", flat=True)) == {
        "available"
    }
    assert CouponTemplate.objects.get(pk=mj.template_id).budget_used == 0
    # and the order may be reserved again
    assert reserve(shop, member, points=5000).pk != hold.pk


def test_order_cancelled_for_an_unpaid_order_releases_its_hold(
    shop: Shop, member: Member, setup, send
) -> None:
    # Given a reserved checkout the shop never got paid (no order in the mirror)
    mj, ship = setup
    reserve(shop, member, points=5000)
    assert available_points(member) == 5000
    # When the shop sends order.cancelled for it
    result = send("order.cancelled", member.external_id, {"order_id": "O-1"})
    # Then the hold is released: points and coupons back, nothing else happened
    assert result["effects"] == [
        {"type": "checkout_hold.released", "order_id": "O-1", "points": 5000}
    ]
    assert available_points(member) == 10000
    assert set(Coupon.objects.filter(pk__in=[mj.pk, ship.pk]).values_list("status", flat=True)) == {
        "available"
    }
    assert not Order.objects.filter(shop=shop, external_id="O-1").exists()
    # and a cancellation of an order that was neither reserved nor paid is refused
    with pytest.raises(PatronError) as exc:
        send("order.cancelled", member.external_id, {"order_id": "NEVER"})
    assert exc.value.code == "unknown_order"


def test_order_cancelled_for_another_members_reservation_is_refused(
    shop: Shop, member: Member, setup, send
) -> None:
    reserve(shop, member, points=5000)
    other = MemberFactory.create(shop=shop, external_id="OTHER")
    with pytest.raises(PatronError) as exc:
        send("order.cancelled", other.external_id, {"order_id": "O-1"})
    assert exc.value.field == "member"
    assert CheckoutHold.objects.get(order_id="O-1").status == HoldStatus.HELD


def test_time_out_releases_and_an_expired_hold_cannot_be_captured(
    shop: Shop, member: Member, setup, send
) -> None:
    hold = reserve(shop, member, points=5000)
    clock.advance(dt.timedelta(minutes=29))
    assert holds.holds_expire() == 0
    clock.advance(dt.timedelta(minutes=1))
    assert holds.holds_expire() == 1
    hold.refresh_from_db()
    assert hold.status == HoldStatus.EXPIRED
    assert available_points(member) == 10000
    assert Coupon.objects.filter(status="available").count() == 2
    with pytest.raises(PatronError) as exc:
        send("order.paid", member.external_id, paid_data(hold))
    assert "expired" in exc.value.detail_en
    assert available_points(member) == 10000


def test_a_due_hold_is_refused_even_before_the_sweep(
    shop: Shop, member: Member, setup, send
) -> None:
    hold = reserve(shop, member, points=5000)
    clock.advance(dt.timedelta(minutes=31))
    with pytest.raises(PatronError):
        send("order.paid", member.external_id, paid_data(hold))


def test_partial_refunds_return_exactly_the_refunded_lines_points(
    shop: Shop, member: Member, setup, send
) -> None:
    mj, ship = setup
    hold = reserve(shop, member, points=5000)
    send("order.paid", member.external_id, paid_data(hold))
    # line b (2 units) used 1,667 points: one unit back → 833 (rounded down), the other 834
    r1 = send(
        "order.refunded",
        member.external_id,
        {"order_id": "O-1", "refund_id": "R1", "lines": [{"line_id": "b", "quantity": 1}]},
    )
    assert {
        "type": "checkout_hold.refunded",
        "order_id": "O-1",
        "points": 833,
        "coupons": [],
    } in r1["effects"]
    assert available_points(member) == 5833
    r2 = send(
        "order.refunded",
        member.external_id,
        {"order_id": "O-1", "refund_id": "R2", "lines": [{"line_id": "b", "quantity": 1}]},
    )
    assert [e["points"] for e in r2["effects"] if e["type"] == "checkout_hold.refunded"] == [834]
    assert available_points(member) == 6667
    assert Coupon.objects.get(pk=mj.pk).status == CouponStatus.USED  # partial: coupon stays used
    # the last line: the rest of the points and both coupons come back
    r3 = send("order.refunded", member.external_id, {"order_id": "O-1", "refund_id": "R3"})
    effect = next(e for e in r3["effects"] if e["type"] == "checkout_hold.refunded")
    assert effect["points"] == 3333
    assert sorted(effect["coupons"]) == sorted([mj.code, ship.code])
    assert available_points(member) == 10000
    assert CouponTemplate.objects.get(pk=mj.template_id).budget_used == 0
    assert not any(
        e["type"] == "points.returned" for e in r1["effects"] + r2["effects"] + r3["effects"]
    )


def test_returned_points_keep_their_lot_expiry(shop: Shop, member: Member, setup) -> None:
    from patron.points.models import PointsLot

    soon = clock.now() + dt.timedelta(days=10)
    give_points(member, 1000, expires_at=soon)  # spent first
    reserve(shop, member, points=1000, coupon_codes=[])
    assert PointsLot.objects.get(expires_at=soon).remaining == 0
    holds.hold_on_order_cancelled(shop=shop, order_id="O-1", order_pk=None)
    returned = PointsLot.objects.filter(expires_at=soon).order_by("pk").last()
    assert returned is not None and returned.remaining == 1000
    assert available_points(member) == 11000


def test_paid_points_must_match_the_hold(shop: Shop, member: Member, setup, send) -> None:
    hold = reserve(shop, member, points=5000)
    with pytest.raises(PatronError) as exc:
        send(
            "order.paid",
            member.external_id,
            {**paid_data(hold), "points_used": 4000, "paid_amount": hold.total + 1000},
        )
    assert exc.value.field == "data.points_used"


def test_order_without_a_hold_still_redeems_points_directly(
    shop: Shop, member: Member, send
) -> None:
    give_points(member, 3000)
    send(
        "order.paid",
        member.external_id,
        {
            "order_id": "X",
            "lines": [{"line_id": "1", "sku": "S", "quantity": 1, "unit_price": 10000}],
            "paid_amount": 9000,
            "points_used": 1000,
            "points_amount": 1000,
        },
    )
    assert available_points(member) == 2000
