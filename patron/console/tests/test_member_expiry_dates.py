"""The member page shows the last day points and coupons can be used, not
the exclusive instant they expire at."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.members.models import Member
from patron.points.services.ledger import local_midnight
from patron.portal.tests.test_expiry_dates import SHANGHAI, _credit

pytestmark = pytest.mark.django_db


def test_the_console_shows_the_last_day_points_and_coupons_can_be_used(
    member: Member, as_role
) -> None:
    from patron.promotions.models import Coupon, CouponTemplate

    clock.freeze(dt.datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))
    _credit(member, 120, local_midnight(dt.date(2027, 1, 1)))
    template = CouponTemplate.objects.create(
        shop=member.shop,
        code="NY",
        name="New year",
        type="fixed",
        amount=1000,
        created_at=clock.now(),
    )
    Coupon.objects.create(
        shop=member.shop,
        source="operator",
        template=template,
        member=member,
        code="NY-1",
        issued_at=clock.now(),
        valid_from=clock.now(),
        valid_until=local_midnight(dt.date(2027, 1, 1)),
    )
    admin = as_role("admin")
    points = admin.get(f"/console/members/{member.pk}/?tab=points").content.decode()
    assert "2026年12月31日" in points and "2027年1月1日" not in points
    coupons = admin.get(f"/console/members/{member.pk}/?tab=coupons").content.decode()
    assert "NY-1" in coupons
    assert "2026年12月31日" in coupons and "2027年1月1日" not in coupons
