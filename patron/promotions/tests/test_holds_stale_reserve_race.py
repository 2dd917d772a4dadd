"""On PostgreSQL: retries of a timed-out reserve racing each other and the
expiry sweep release the dead hold once and make exactly one fresh hold."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.core.tests.races import race
from patron.points.models import EntryKind, LedgerEntry
from patron.promotions.checkout import CartIn
from patron.promotions.models import CheckoutHold, HoldStatus
from patron.promotions.services import holds
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    line,
    make_member,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_retries_after_the_time_out_and_the_sweep_at_once(shop_pg: Shop) -> None:
    member = make_member(shop_pg)
    give_points(member, 5000)
    cart = CartIn(lines=[line("1", 5000)], points=1000, coupon_codes=[])
    dead, _ = holds.checkout_reserve(shop=shop_pg, member=member, order_id="SAME", cart=cart)
    clock.advance(dt.timedelta(minutes=31))

    def act(i: int) -> int:
        if i == 0:
            holds.holds_expire()
            return 0
        return holds.checkout_reserve(shop=shop_pg, member=member, order_id="SAME", cart=cart)[0].pk

    wins, losses = race(5, act)
    assert losses == []
    fresh = CheckoutHold.objects.get(status=HoldStatus.HELD)
    assert {pk for pk in wins if pk} == {fresh.pk}
    assert CheckoutHold.objects.get(pk=dead.pk).status == HoldStatus.EXPIRED
    assert CheckoutHold.objects.count() == 2
    assert LedgerEntry.objects.filter(kind=EntryKind.RELEASE).count() == 1
    assert available_points(member) == 4000
