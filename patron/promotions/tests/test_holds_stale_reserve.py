"""A reserve retried after its hold timed out but before the every-minute
sweep (``holds_expire``) ran: the stale hold is released on the spot, exactly
as the sweep would, and a fresh hold is made."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import EntryKind, LedgerEntry
from patron.promotions.checkout import CartIn
from patron.promotions.models import CheckoutHold, Coupon, CouponTemplate, HoldStatus
from patron.promotions.services import holds
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    issue,
    line,
    make_template,
)
from patron.promotions.tests.test_holds import paid_data

pytestmark = pytest.mark.django_db

LINES = [line("a", 20000, sku="A"), line("b", 5000, quantity=2, sku="B")]  # ¥300


@pytest.fixture
def mj(shop: Shop, member: Member) -> Coupon:
    give_points(member, 10000)
    return issue(
        make_template(
            shop, name="满300减50", type="threshold", amount=5000, threshold=30000, budget=100000
        ),
        member,
    )


def cart(points: int) -> CartIn:
    return CartIn(lines=LINES, shipping_fee=1000, points=points)


def test_a_retry_after_the_time_out_gets_a_fresh_hold(
    shop: Shop, member: Member, mj: Coupon, send
) -> None:
    # given a hold that ran out 1 minute ago and was not swept yet
    first, _ = holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=cart(5000))
    clock.advance(dt.timedelta(minutes=31))
    # when the shop retries the same reserve
    again, created = holds.checkout_reserve(
        shop=shop, member=member, order_id="O-1", cart=cart(5000)
    )
    # then the dead hold is expired as the sweep would, and a new one is live
    first.refresh_from_db()
    assert (first.status, first.released_at, first.points_returned) == (
        HoldStatus.EXPIRED,
        clock.now(),
        5000,
    )
    assert created is True and again.pk != first.pk
    assert again.status == HoldStatus.HELD
    assert again.expires_at == clock.now() + dt.timedelta(minutes=30)
    assert Coupon.objects.get(pk=mj.pk).hold_id == again.pk
    assert available_points(member) == 5000  # 5,000 given back, 5,000 held again
    assert CouponTemplate.objects.get(pk=mj.template_id).budget_used == 5000
    released = LedgerEntry.objects.filter(kind=EntryKind.RELEASE)
    assert list(released.values_list("reason_code", flat=True)) == ["hold_expired"]
    # and the sweep finds nothing left, and the payment captures the new hold
    assert holds.holds_expire() == 0
    send("order.paid", member.external_id, paid_data(again, lines=LINES))
    again.refresh_from_db()
    assert again.status == HoldStatus.CAPTURED
    assert available_points(member) == 5000


def test_a_different_cart_after_the_time_out_is_not_a_conflict(
    shop: Shop, member: Member, mj: Coupon
) -> None:
    holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=cart(5000))
    clock.advance(dt.timedelta(minutes=30))  # exactly at expires_at: the sweep would take it
    second, created = holds.checkout_reserve(
        shop=shop, member=member, order_id="O-1", cart=cart(2000)
    )
    assert created is True
    assert (second.points, second.coupon_discount) == (2000, 5000)
    assert list(CheckoutHold.objects.order_by("pk").values_list("status", flat=True)) == [
        HoldStatus.EXPIRED,
        HoldStatus.HELD,
    ]
    assert available_points(member) == 8000
    assert CouponTemplate.objects.get(pk=mj.template_id).budget_used == 5000


def test_a_hold_still_in_time_is_returned_as_it_is(shop: Shop, member: Member, mj: Coupon) -> None:
    first, _ = holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=cart(5000))
    clock.advance(dt.timedelta(minutes=29, seconds=59))
    again, created = holds.checkout_reserve(
        shop=shop, member=member, order_id="O-1", cart=cart(5000)
    )
    assert (again.pk, created, again.status) == (first.pk, False, HoldStatus.HELD)
    assert available_points(member) == 5000
    assert LedgerEntry.objects.filter(kind=EntryKind.RELEASE).count() == 0
