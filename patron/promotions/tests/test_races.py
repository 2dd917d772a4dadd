"""Races on PostgreSQL with real parallel connections: exactly one wins.

Each contender runs in its own thread with its own database connection; a
barrier releases them together so they really overlap.
"""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.core.tests.races import race
from patron.promotions import services
from patron.promotions.checkout import CartIn
from patron.promotions.models import CheckoutHold, Coupon, FlashSale, FlashSaleClaim
from patron.promotions.services import holds
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    issue,
    line,
    make_member,
    make_template,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_last_flash_sale_coupon_and_the_per_member_limit(shop_pg: Shop) -> None:
    now = clock.now()
    template = make_template(shop_pg, amount=500)
    sale = FlashSale.objects.create(
        shop=shop_pg,
        name="秒杀",
        template=template,
        quantity=3,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        per_member_limit=1,
    )
    members = [make_member(shop_pg) for _ in range(10)]
    wins, losses = race(10, lambda i: services.flash_sale_claim(sale=sale, member=members[i]))
    assert len(wins) == 3 and len(losses) == 7
    assert {e.code for e in losses if isinstance(e, PatronError)} == {"sold_out"}
    assert FlashSale.objects.get(pk=sale.pk).claimed_count == 3
    assert Coupon.objects.filter(template=template).count() == 3
    # one member tapping eight times at once gets exactly one
    greedy = FlashSale.objects.create(
        shop=shop_pg,
        name="秒杀2",
        template=template,
        quantity=100,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        per_member_limit=1,
    )
    member = members[0]
    wins, losses = race(8, lambda i: services.flash_sale_claim(sale=greedy, member=member))
    assert len(wins) == 1 and len(losses) == 7
    assert FlashSaleClaim.objects.filter(sale=greedy, member=member).count() == 1


def test_the_same_coupon_on_two_orders(shop_pg: Shop) -> None:
    member = make_member(shop_pg)
    coupon = issue(make_template(shop_pg, amount=1000), member)

    def reserve(i: int) -> CheckoutHold:
        cart = CartIn(lines=[line("1", 5000)], coupon_codes=[coupon.code])
        return holds.checkout_reserve(shop=shop_pg, member=member, order_id=f"O-{i}", cart=cart)[0]

    wins, losses = race(6, reserve)
    assert len(wins) == 1 and len(losses) == 5
    assert all(isinstance(e, PatronError) and e.code == "held" for e in losses)
    coupon.refresh_from_db()
    assert coupon.status == "held" and coupon.hold_id == wins[0].pk
    assert CheckoutHold.objects.count() == 1


def test_the_same_points_on_two_orders(shop_pg: Shop) -> None:
    member = make_member(shop_pg)
    give_points(member, 1000)

    def reserve(i: int) -> CheckoutHold:
        cart = CartIn(lines=[line("1", 5000)], points=1000, coupon_codes=[])
        return holds.checkout_reserve(shop=shop_pg, member=member, order_id=f"P-{i}", cart=cart)[0]

    wins, losses = race(6, reserve)
    assert len(wins) == 1 and len(losses) == 5
    assert all(isinstance(e, PatronError) and e.code == "insufficient_points" for e in losses)
    assert available_points(member) == 0
    assert CheckoutHold.objects.get().points == 1000


def test_the_same_order_reserved_twice_at_once_gives_one_hold(shop_pg: Shop) -> None:
    member = make_member(shop_pg)
    give_points(member, 5000)

    def reserve(i: int) -> int:
        cart = CartIn(lines=[line("1", 5000)], points=1000, coupon_codes=[])
        return holds.checkout_reserve(shop=shop_pg, member=member, order_id="SAME", cart=cart)[0].pk

    wins, losses = race(5, reserve)
    assert losses == [] and len(set(wins)) == 1
    assert available_points(member) == 4000
