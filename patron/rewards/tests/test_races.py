"""Races on redemptions, on PostgreSQL with real parallel connections.

Each contender runs in its own thread with its own database connection; a
barrier releases them together so they really overlap.
"""

from __future__ import annotations

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.points.models import LedgerEntry
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    make_member,
    race,
)
from patron.rewards import services
from patron.rewards.models import Redemption, Reward

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("stock", "stock_after"), [(1, 0), (None, None)])
def test_same_request_id_at_once_is_one_redemption_and_everyone_gets_it(
    shop_pg: Shop, stock: int | None, stock_after: int | None
) -> None:
    # Given a reward (its last unit, or unlimited) and a member with 1,000 points
    reward = Reward.objects.create(
        shop=shop_pg,
        name="最后一件",
        kind="other",
        points_price=300,
        stock=stock,
        created_at=clock.now(),
    )
    member = make_member(shop_pg)
    give_points(member, 1000)

    # When eight retries of the same request arrive together
    wins, losses = race(
        8,
        lambda i: services.redemption_place(
            shop=shop_pg, member=member, reward=reward, request_id="same-request"
        ),
    )

    # Then all eight get the one redemption: one unit, one debit, no error
    assert losses == []
    assert len(wins) == 8
    assert len({r.pk for r, _ in wins}) == 1
    assert sorted(created for _, created in wins) == [False] * 7 + [True]
    assert Redemption.objects.count() == 1
    reward.refresh_from_db()
    assert (reward.stock, reward.redeemed_count) == (stock_after, 1)
    assert available_points(member) == 700
    assert LedgerEntry.objects.filter(kind="redeem").count() == 1
