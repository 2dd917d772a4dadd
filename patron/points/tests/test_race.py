"""Races on PostgreSQL: real threads, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.points import services
from patron.points.models import LedgerEntry, PointsAccount, PointsLot, PointsProgram
from patron.points.selectors import ledger_mismatches
from patron.points.services.ledger import Refs, account_lock, do_credit
from patron.points.tests.conftest import make_rule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def target(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _setup(points: int, lots: int = 4) -> tuple[Shop, Member]:
    shop = Shop.objects.create(name="race")
    PointsProgram.objects.create(shop=shop)
    now = clock.now()
    member = Member.objects.create(
        shop=shop, external_id="R1", registered_at=now, created_at=now, updated_at=now
    )
    with transaction.atomic():
        account = account_lock(member=member)
        for _ in range(lots):
            do_credit(
                account, points=points // lots, kind="adjust", refs=Refs("adjust"), expires_at=None
            )
    return shop, member


def test_concurrent_spends_never_overdraw_and_all_successes_are_in_the_ledger() -> None:
    # Given 1,000 points in four lots and 12 orders each paying 300 points
    shop, member = _setup(1000)
    make_rule(shop, points_per_yuan=1)

    def pay(i: int) -> str:
        event_services.event_ingest(
            shop=shop,
            raw={
                "id": f"race-{i}",
                "type": "order.paid",
                "member": "R1",
                "occurred_at": clock.now().isoformat(),
                "data": {
                    "order_id": f"O{i}",
                    "lines": [{"line_id": "L1", "sku": "A", "quantity": 1, "unit_price": 10000}],
                    "paid_amount": 9700,
                    "points_used": 300,
                    "points_amount": 300,
                },
            },
        )
        return "ok"

    # When they all pay at once
    results = run_threads(12, pay)

    # Then exactly three succeed; the rest are refused for lack of points
    ok = [r for r in results if r == "ok"]
    refused = [r for r in results if isinstance(r, PatronError)]
    assert len(ok) == 3, results
    assert len(refused) == 9 and {r.code for r in refused} == {"insufficient_points"}
    account = PointsAccount.objects.get(member=member)
    assert account.available == 100
    assert LedgerEntry.objects.filter(kind="redeem").count() == 3
    assert (
        sum(PointsLot.objects.filter(state="available").values_list("remaining", flat=True)) == 100
    )
    assert ledger_mismatches() == []


def test_expiry_and_spending_at_once_do_not_deadlock_or_lose_points() -> None:
    import datetime as dt

    # Given 8 accounts with expiring lots and a non-expiring lot each
    shop = Shop.objects.create(name="race2")
    PointsProgram.objects.create(shop=shop)
    now = clock.now()
    members = []
    for i in range(8):
        m = Member.objects.create(
            shop=shop, external_id=f"E{i}", registered_at=now, created_at=now, updated_at=now
        )
        with transaction.atomic():
            acc = account_lock(member=m)
            do_credit(acc, points=50, kind="adjust", refs=Refs("a"), expires_at=now)
            do_credit(acc, points=50, kind="adjust", refs=Refs("a"), expires_at=None)
        members.append(m)

    def work(i: int) -> Any:
        if i == 0:
            return services.lots_expire_due(now=now + dt.timedelta(seconds=1))
        from patron.points.services.ledger import do_debit

        with transaction.atomic():
            acc = account_lock(member=members[i])
            return do_debit(acc, points=60, kind="redeem", refs=Refs("r")).points

    results = run_threads(8, work)
    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, PatronError)]
    # Each spender either spent 60 before expiry (then 40 left, nothing expires)
    # or was refused after expiry left only 50.
    for i, m in enumerate(members[1:], 1):
        acc = PointsAccount.objects.get(member=m)
        assert acc.available == (40 if results[i] == -60 else 50), (i, results[i])
    assert ledger_mismatches() == []
