"""Points as cash: an order is charged only the points its discount is worth."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import EntryKind, LedgerEntry, PointsCashSettings
from patron.points.services import cash as points_cash
from patron.promotions import checkout
from patron.promotions.checkout import CartIn
from patron.promotions.models import CheckoutHold
from patron.promotions.services import holds
from patron.promotions.tests.conftest import available_points, give_points, line
from patron.promotions.tests.test_holds import paid_data


def rate(points_per_yuan: int, step: int = 1, minimum: int = 0) -> points_cash.Rate:
    return points_cash.Rate(
        enabled=True,
        points_per_yuan=points_per_yuan,
        max_share_percent=50,
        min_points=minimum,
        step_points=step,
        combine_with_coupons=True,
        hold_minutes=30,
    )


@pytest.mark.parametrize(
    ("per_yuan", "wanted", "used", "value"),
    [
        (100, 151, 151, 151),  # an even rate: every point is worth a fen
        (150, 151, 150, 100),  # the 151st point buys nothing
        (150, 299, 299, 199),  # 298.5 points are worth ¥1.99; 299 are needed
        (150, 298, 297, 198),
        (150, 1, 0, 0),  # one point is worth nothing at all
        (333, 334, 333, 100),
        (333, 332, 330, 99),  # 329.67 → 330 points for ¥0.99
        (333, 1000, 999, 300),
    ],
)
def test_used_points_are_trimmed_to_what_their_value_costs(
    per_yuan: int, wanted: int, used: int, value: int
) -> None:
    q = points_cash.quote(rate=rate(per_yuan), payable=100000, balance=100000, wanted=wanted)
    assert (q.used, q.value) == (used, value)


def test_the_most_usable_points_are_trimmed_too() -> None:
    # ¥300 at 50% = ¥150 cap; a balance of 301 points at 150/¥ is worth ¥2.00 = 300 points
    q = points_cash.quote(rate=rate(150), payable=30000, balance=301, wanted=301)
    assert q == points_cash.Quote(max_points=300, max_value=200, used=300, value=200)


def test_steps_and_minimum_apply_to_the_points_asked_for() -> None:
    # steps of 100 at 150/¥: 200 points are worth ¥1.33, which 200 points cost (199.5)
    assert points_cash.quote(
        rate=rate(150, step=100, minimum=100), payable=100000, balance=10000, wanted=250
    ) == points_cash.Quote(max_points=9999, max_value=6666, used=200, value=133)
    # 100 points (the minimum) are worth ¥0.66, which 99 points cost
    assert points_cash.quote(
        rate=rate(150, step=100, minimum=100), payable=100000, balance=10000, wanted=100
    ) == points_cash.Quote(max_points=9999, max_value=6666, used=99, value=66)
    # below the minimum: none
    assert points_cash.quote(
        rate=rate(150, step=1, minimum=100), payable=100000, balance=10000, wanted=99
    ) == points_cash.Quote(max_points=9999, max_value=6666, used=0, value=0)


LINES = [line("a", 20000, sku="A"), line("b", 5000, quantity=2, sku="B")]  # ¥300


def reserve(shop: Shop, member: Member, points: int) -> CheckoutHold:
    cart = CartIn(lines=LINES, shipping_fee=0, points=points)
    hold, _ = holds.checkout_reserve(shop=shop, member=member, order_id="O-1", cart=cart)
    return hold


@pytest.fixture
def uneven_rate(shop: Shop) -> PointsCashSettings:
    return PointsCashSettings.objects.create(
        shop=shop, points_per_yuan=150, step_points=1, min_points=0
    )


@pytest.mark.django_db
def test_hold_capture_and_refund_move_the_trimmed_points(
    shop: Shop, member: Member, uneven_rate: PointsCashSettings, send: Any
) -> None:
    # Given 10,000 points at 150 points = ¥1
    give_points(member, 10000)

    # When the member asks for 1,501 points on a ¥300 order
    evaluation = checkout.checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=LINES, shipping_fee=0, points=1501)
    )

    # Then the checkout offers 1,500 points for ¥10.00; reserving 1,501 is refused
    assert (evaluation.points.used, evaluation.points.value) == (1500, 1000)
    with pytest.raises(PatronError) as exc:
        reserve(shop, member, 1501)
    assert (exc.value.code, exc.value.field) == (ErrorCode.POINTS_TRIMMED, "points")
    assert exc.value.detail_en == (
        "1501 points cannot be used: 1501 points are worth no more than 1500 at this rate: use 1500"
    )
    assert evaluation.points_reason is not None
    assert evaluation.points_reason.code == "points_trimmed"
    assert available_points(member) == 10000 and CheckoutHold.objects.count() == 0

    # When it reserves the offered 1,500, only they leave the balance
    hold = reserve(shop, member, 1500)
    assert (hold.points, hold.points_value, hold.total) == (1500, 1000, 29000)
    assert sum(ln.points for ln in hold.lines.all()) == 1500
    assert available_points(member) == 8500
    assert LedgerEntry.objects.get(kind=EntryKind.HOLD).points == -1500

    # When the order is paid and then refunded in full
    send("order.paid", member.external_id, paid_data(hold, lines=LINES))
    assert available_points(member) == 8500
    result = send("order.refunded", member.external_id, {"order_id": "O-1", "refund_id": "R1"})

    # Then exactly the 1,500 points come back
    effect = next(e for e in result["effects"] if e["type"] == "checkout_hold.refunded")
    assert effect["points"] == 1500
    assert available_points(member) == 10000


@pytest.mark.django_db
def test_cancelling_releases_the_trimmed_points(
    shop: Shop, member: Member, uneven_rate: PointsCashSettings
) -> None:
    give_points(member, 10000)
    hold = reserve(shop, member, 150)
    assert (hold.points, hold.points_value) == (150, 100)
    assert available_points(member) == 9850
    holds.hold_on_order_cancelled(shop=shop, order_id="O-1", order_pk=None)
    assert available_points(member) == 10000
    assert sum(e.points for e in LedgerEntry.objects.all()) == 10000
