from __future__ import annotations

import datetime as dt

import pytest

from patron.console.dashboard import _months, points_by_month
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import LedgerEntry, PointsAccount

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_redeemed_per_month_is_net_of_points_given_back(shop: Shop) -> None:
    # given, this month: a redemption of 500 later cancelled (released), one of 300
    # kept, a checkout hold of 200 captured then 50 of it released, a hold of 70
    # released uncaptured, 40 returned by a refund, and 25 earned points reversed
    clock.freeze(NOW)
    member = Member.objects.create(
        shop=shop, external_id="M1", registered_at=NOW, created_at=NOW, updated_at=NOW
    )
    account = PointsAccount.objects.create(shop=shop, member=member, updated_at=NOW)

    def entry(kind: str, points: int, reason: str, **params: object) -> LedgerEntry:
        return LedgerEntry.objects.create(
            account=account,
            kind=kind,
            points=points,
            reason_code=reason,
            reason_params=params,
            created_at=NOW - dt.timedelta(hours=1),
        )

    entry("redeem", -500, "reward_redeemed")
    entry("release", 500, "redemption_cancelled", redemption=1)
    entry("redeem", -300, "reward_redeemed")
    captured = entry("hold", -200, "checkout_hold")
    entry("capture", 0, "checkout_capture", held=200, hold_entry=captured.pk)
    entry("release", 50, "order_refunded", hold_entry=captured.pk)
    dropped = entry("hold", -70, "checkout_hold")
    entry("release", 70, "checkout_cancelled", hold_entry=dropped.pk)
    entry("reverse", 40, "points_returned")
    entry("reverse", -25, "order_refunded")
    # when
    redeemed = points_by_month(_months(), shop.pk)["redeemed"]
    # then 500 - 500 + 300 + 200 - 50 - 40 = 410, all in this month
    assert redeemed[-1] == 410
    assert sum(redeemed) == 410
