"""Birthday gifts: once per member per year, 29 February on the 28th in common years."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.campaigns.services.birthday_gifts import birthday_gifts_grant
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import PointsAccount
from patron.tiers.models import TierBenefits, TierGift, TierProgram
from patron.tiers.tests.conftest import move_to, set_program

pytestmark = pytest.mark.django_db


def make_member(shop: Shop, external_id: str, birthday: dt.date) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop,
        external_id=external_id,
        birthday=birthday,
        registered_at=now,
        created_at=now,
        updated_at=now,
    )


def grant_on(shop: Shop, day: dt.date) -> int:
    move_to(day, hour=9)
    return birthday_gifts_grant(shop=shop)


@pytest.fixture
def normal_gift(shop: Shop, program: TierProgram) -> None:
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(
        birthday_gift_points=50
    )


def test_gift_once_a_year_with_points_credited(
    shop: Shop, program: TierProgram, normal_gift: None
) -> None:
    m = make_member(shop, "B1", dt.date(1990, 5, 20))
    set_program(program, birthday_days_before=0, birthday_days_after=7)

    assert grant_on(shop, dt.date(2026, 5, 19)) == 0
    assert grant_on(shop, dt.date(2026, 5, 20)) == 1
    assert grant_on(shop, dt.date(2026, 5, 20)) == 0  # the same day again
    assert grant_on(shop, dt.date(2026, 5, 23)) == 0  # still in the catch-up window
    assert grant_on(shop, dt.date(2027, 5, 20)) == 1

    assert list(TierGift.objects.order_by("year").values_list("year", "points", "state")) == [
        (2026, 50, "credited"),
        (2027, 50, "credited"),
    ]
    assert PointsAccount.objects.get(member=m).lifetime_earned == 100


def test_missed_day_is_caught_up_within_the_window(
    shop: Shop, program: TierProgram, normal_gift: None
) -> None:
    make_member(shop, "B1", dt.date(1990, 12, 30))
    set_program(program, birthday_days_after=3)

    assert grant_on(shop, dt.date(2027, 1, 2)) == 1  # 3 days late, across the new year

    assert TierGift.objects.get().year == 2026
    assert grant_on(shop, dt.date(2027, 1, 3)) == 0


def test_leap_day_birthday_on_28_february_in_common_years(
    shop: Shop, program: TierProgram, normal_gift: None
) -> None:
    make_member(shop, "LEAP", dt.date(2000, 2, 29))
    set_program(program, birthday_days_before=0, birthday_days_after=0)

    granted = {
        day: grant_on(shop, day)
        for day in [
            dt.date(2027, 2, 27),
            dt.date(2027, 2, 28),
            dt.date(2027, 3, 1),
            dt.date(2028, 2, 28),
            dt.date(2028, 2, 29),
            dt.date(2028, 3, 1),
        ]
    }

    assert granted == {
        dt.date(2027, 2, 27): 0,
        dt.date(2027, 2, 28): 1,
        dt.date(2027, 3, 1): 0,
        dt.date(2028, 2, 28): 0,
        dt.date(2028, 2, 29): 1,
        dt.date(2028, 3, 1): 0,
    }
    assert sorted(TierGift.objects.values_list("year", flat=True)) == [2027, 2028]


def test_leap_day_birthday_once_even_with_a_window(
    shop: Shop, program: TierProgram, normal_gift: None
) -> None:
    make_member(shop, "LEAP", dt.date(2000, 2, 29))
    set_program(program, birthday_days_before=2, birthday_days_after=2)

    total = sum(grant_on(shop, dt.date(2028, 2, 20) + dt.timedelta(days=i)) for i in range(20))

    assert total == 1
    assert TierGift.objects.get().year == 2028


def test_no_gift_when_the_tier_has_none_and_coupon_only_gifts_wait_for_promotions(
    shop: Shop, program: TierProgram
) -> None:
    make_member(shop, "N1", dt.date(1990, 5, 20))  # normal: no gift by default
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(
        birthday_coupon_template="NO-SUCH-TEMPLATE"
    )
    make_member(shop, "N2", dt.date(1991, 6, 1))

    assert grant_on(shop, dt.date(2026, 5, 20)) == 1

    gift = TierGift.objects.get()
    assert (gift.points, gift.coupon_template, gift.state) == (
        0,
        "NO-SUCH-TEMPLATE",
        "coupon_pending",
    )
