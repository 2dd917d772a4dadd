"""Query-count pins on checkout: pricing a cart and reserving it cost a fixed
number of queries however many coupons the member holds. A change that adds a
query per coupon (or per line) fails here; a deliberate change updates the pin."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.checkout import CartIn, checkout_evaluate
from patron.promotions.services.holds import checkout_reserve
from patron.promotions.tests.conftest import give_points, issue, line, make_template
from patron.tiers.services.definitions import tiers_seed_defaults

# Measured on SQLite and PostgreSQL alike: the member's tier, coupons, points
# account and the points-as-cash rate; reserving adds the hold, its lines, the
# coupon moves, the points hold and their savepoints.
EVALUATE_QUERIES = 4
RESERVE_QUERIES = 20


def _member_with_coupons(shop: Shop, member: Member, coupons: int) -> None:
    tiers_seed_defaults(shop=shop)
    give_points(member, 5000)
    for _ in range(coupons):
        issue(make_template(shop, amount=500), member)


def _cart() -> CartIn:
    return CartIn(lines=[line("1", 18999, sku="A"), line("2", 5999, sku="B")], points=2000)


def _queries(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


@pytest.mark.parametrize("coupons", [1, 6])
def test_checkout_evaluate_costs_a_fixed_number_of_queries(
    shop: Shop, member: Member, coupons: int
) -> None:
    _member_with_coupons(shop, member, coupons)
    count = _queries(lambda: checkout_evaluate(shop=shop, member=member, cart=_cart()))
    assert count == EVALUATE_QUERIES


@pytest.mark.parametrize("coupons", [1, 6])
def test_checkout_reserve_costs_a_fixed_number_of_queries(
    shop: Shop, member: Member, coupons: int
) -> None:
    _member_with_coupons(shop, member, coupons)
    count = _queries(
        lambda: checkout_reserve(shop=shop, member=member, order_id="O1", cart=_cart())
    )
    assert count == RESERVE_QUERIES
