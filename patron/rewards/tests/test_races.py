"""Races on redemptions, on PostgreSQL with real parallel connections.

Each contender runs in its own thread with its own database connection; a
barrier releases them together so they really overlap.
"""

from __future__ import annotations

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.core.tests.races import race
from patron.members.models import Member
from patron.points.models import LedgerEntry
from patron.promotions.tests.conftest import (
    available_points,
    give_points,
    make_member,
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


def test_a_redemption_and_an_order_paid_of_the_same_member_do_not_deadlock(
    shop_pg: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both take the member's points account and member row (core.locks): in
    the same order, so the later one waits instead of deadlocking.

    The order.paid holds the account (its points were just credited) and
    pauses before it locks the member for tiers; the redemption starts in that
    pause. Had it locked the member first, each would wait for the other."""
    import threading

    from django.db import connection

    from patron.events import services as event_services
    from patron.members import services as member_services
    from patron.points.models import PointsProgram
    from patron.points.tests.conftest import make_rule

    PointsProgram.objects.create(shop=shop_pg)
    make_rule(shop_pg, points_per_yuan=1)
    reward = Reward.objects.create(
        shop=shop_pg, name="杯子", kind="other", points_price=300, created_at=clock.now()
    )
    member = make_member(shop_pg)
    give_points(member, 1000)

    paused = threading.Event()
    real_lock = member_services.member_lock

    def member_lock_after_a_pause(m: Member) -> None:
        # The order.paid's tier step, which runs after its points step.
        if threading.current_thread().name == "order-paid":
            paused.set()
            threading.Event().wait(1.5)  # the redemption runs meanwhile
        real_lock(m)

    monkeypatch.setattr(member_services, "member_lock", member_lock_after_a_pause)
    outcomes: dict[str, object] = {}

    def pay() -> None:
        try:
            raw = {
                "id": "e-paid",
                "type": "order.paid",
                "member": member.external_id,
                "occurred_at": clock.now().isoformat(),
                "data": {
                    "order_id": "O1",
                    "lines": [{"line_id": "L1", "sku": "S", "quantity": 1, "unit_price": 10000}],
                    "paid_amount": 10000,
                },
            }
            outcomes["paid"] = event_services.event_ingest(shop=shop_pg, raw=raw).result
        except Exception as exc:
            outcomes["paid"] = exc
        finally:
            connection.close()

    def redeem() -> None:
        try:
            assert paused.wait(10)
            outcomes["redeem"] = services.redemption_place(
                shop=shop_pg, member=member, reward=reward, request_id="r1"
            )
        except Exception as exc:
            outcomes["redeem"] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=pay, name="order-paid"),
        threading.Thread(target=redeem, name="redemption"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert not isinstance(outcomes["paid"], Exception), outcomes["paid"]
    assert not isinstance(outcomes["redeem"], Exception), outcomes["redeem"]
    assert Redemption.objects.filter(member=member).count() == 1
    assert available_points(member) == 700


def test_last_unit_of_stock_goes_to_exactly_one(shop_pg: Shop) -> None:
    reward = Reward.objects.create(
        shop=shop_pg,
        name="最后一件",
        kind="other",
        points_price=100,
        stock=1,
        created_at=clock.now(),
    )
    members = [make_member(shop_pg) for _ in range(8)]
    for m in members:
        give_points(m, 1000)
    wins, losses = race(
        8,
        lambda i: services.redemption_place(
            shop=shop_pg, member=members[i], reward=reward, request_id=f"r{i}"
        ),
    )
    assert len(wins) == 1
    assert len(losses) == 7 and all(
        isinstance(e, PatronError) and e.code == "sold_out" for e in losses
    )
    reward.refresh_from_db()
    assert (reward.stock, Redemption.objects.count()) == (0, 1)
    assert sorted(available_points(m) for m in members) == [900] + [1000] * 7
