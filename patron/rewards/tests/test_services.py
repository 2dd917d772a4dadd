"""Redemptions: points and stock taken together, idempotent, cancelled with both back."""

from __future__ import annotations

import pytest

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import LedgerEntry
from patron.promotions.models import CouponStatus
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    make_member,
    make_template,
)
from patron.rewards import services
from patron.rewards.models import Redemption, RedemptionStatus, Reward

pytestmark = pytest.mark.django_db


def make_reward(shop: Shop, **kw) -> Reward:
    from patron.core import clock

    fields = {
        "name": "保温杯",
        "kind": "physical",
        "points_price": 3000,
        "stock": 2,
        "created_at": clock.now(),
    }
    fields.update(kw)
    return Reward.objects.create(shop=shop, **fields)


def test_redeem_takes_points_and_a_unit_and_is_idempotent(shop: Shop, member: Member) -> None:
    give_points(member, 10000)
    reward = make_reward(shop)
    r, created = services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="R1", shipping_address="上海"
    )
    again, created_again = services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="R1", shipping_address="上海"
    )
    assert created and not created_again and again.pk == r.pk
    assert available_points(member) == 7000
    reward.refresh_from_db()
    assert (reward.stock, reward.redeemed_count) == (1, 1)
    assert r.points_entry_id is not None
    assert LedgerEntry.objects.get(pk=r.points_entry_id).kind == "redeem"


def test_last_unit_then_sold_out_and_limits(shop: Shop, member: Member) -> None:
    give_points(member, 100000)
    reward = make_reward(shop, stock=1)
    services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="a", shipping_address="x"
    )
    with pytest.raises(PatronError) as exc:
        services.redemption_place(
            shop=shop, member=member, reward=reward, request_id="b", shipping_address="x"
        )
    assert exc.value.code == ErrorCode.SOLD_OUT
    limited = make_reward(shop, stock=None, per_member_limit=1, kind="other")
    services.redemption_place(shop=shop, member=member, reward=limited, request_id="c")
    with pytest.raises(PatronError) as exc:
        services.redemption_place(shop=shop, member=member, reward=limited, request_id="d")
    assert exc.value.code == ErrorCode.LIMIT_REACHED


def test_not_enough_points_changes_nothing(shop: Shop, member: Member) -> None:
    give_points(member, 100)
    reward = make_reward(shop)
    with pytest.raises(PatronError) as exc:
        services.redemption_place(
            shop=shop, member=member, reward=reward, request_id="a", shipping_address="x"
        )
    assert exc.value.code == ErrorCode.INSUFFICIENT_POINTS
    reward.refresh_from_db()
    assert reward.stock == 2 and Redemption.objects.count() == 0


def test_cancel_returns_points_and_stock(shop: Shop, member: Member) -> None:
    give_points(member, 5000)
    reward = make_reward(shop)
    r, _ = services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="a", shipping_address="x"
    )
    done = services.redemption_cancel(redemption=r, actor=None, reason="changed my mind")
    assert done.status == RedemptionStatus.CANCELLED
    assert available_points(member) == 5000
    reward.refresh_from_db()
    assert (reward.stock, reward.redeemed_count) == (2, 0)
    fulfilled, _ = services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="b", shipping_address="x"
    )
    services.redemption_fulfil(redemption=fulfilled, actor=None)
    with pytest.raises(PatronError):
        services.redemption_cancel(redemption=fulfilled, actor=None)


def test_coupon_reward_issues_a_coupon_and_cancel_revokes_it(shop: Shop, member: Member) -> None:
    give_points(member, 5000)
    template = make_template(shop, amount=1000)
    reward = make_reward(
        shop, kind="coupon", coupon_template=template, stock=None, points_price=500
    )
    r, _ = services.redemption_place(shop=shop, member=member, reward=reward, request_id="a")
    assert r.status == RedemptionStatus.FULFILLED and r.coupon is not None
    assert r.coupon.source == "points"
    services.redemption_cancel(redemption=r, actor=None)
    r.coupon.refresh_from_db()
    assert r.coupon.status == CouponStatus.REVOKED
    assert available_points(member) == 5000


def test_cancelled_coupon_reward_can_be_redeemed_again(shop: Shop, member: Member) -> None:
    # Given a coupon reward whose template has one coupon in all and one per member
    give_points(member, 5000)
    template = make_template(shop, amount=1000, per_member_limit=1, total_limit=1)
    reward = make_reward(
        shop, kind="coupon", coupon_template=template, stock=None, points_price=500
    )
    first, _ = services.redemption_place(shop=shop, member=member, reward=reward, request_id="a")

    # When it is cancelled, the coupon's issue goes back to the template
    services.redemption_cancel(redemption=first, actor=None)
    template.refresh_from_db()
    assert template.issued_count == 0
    assert available_points(member) == 5000

    # Then the member can redeem it again, and the total limit still holds
    again, created = services.redemption_place(
        shop=shop, member=member, reward=reward, request_id="b"
    )
    assert created and again.coupon is not None and again.coupon.status == CouponStatus.AVAILABLE
    template.refresh_from_db()
    assert template.issued_count == 1
    assert available_points(member) == 4500
    other = make_member(shop, "M2")
    give_points(other, 5000)
    with pytest.raises(PatronError) as exc:
        services.redemption_place(shop=shop, member=other, reward=reward, request_id="c")
    assert exc.value.code == ErrorCode.SOLD_OUT
    assert available_points(other) == 5000
    assert Redemption.objects.filter(member=other).count() == 0
    template.refresh_from_db()
    assert template.issued_count == 1
