"""Races on PostgreSQL: two events for one member at once (growth adds up,
the upgrade is recorded once), and an upgrade committed while the period job
decides (the job does not overwrite it)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from patron.core import clock
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import MemberTier, TierChange, TierProgram
from patron.tiers.services import evaluation
from patron.tiers.services.definitions import tiers_seed_defaults
from patron.tiers.tests.conftest import T0, Sender, move_to


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_orders_upgrade_once() -> None:
    shop = Shop.objects.create(name="race")
    program: TierProgram = tiers_seed_defaults(shop=shop)
    now = clock.now()
    member = Member.objects.create(
        shop=shop, external_id="R1", registered_at=now, created_at=now, updated_at=now
    )
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def pay(n: int) -> None:
        try:
            barrier.wait()
            raw = {
                "id": f"race-{n}",
                "type": "order.paid",
                "member": "R1",
                "occurred_at": clock.now().isoformat(),
                "data": {
                    "order_id": f"O{n}",
                    "lines": [{"line_id": "L1", "sku": "S", "quantity": 1, "unit_price": 60000}],
                    "paid_amount": 60000,
                },
            }
            results.append(event_services.event_ingest(shop=shop, raw=raw).result)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=pay, args=(n,)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert all(isinstance(r, dict) for r in results), results
    assert selectors.growth_value(member, program) == 2 * (600 + 10)
    assert list(TierChange.objects.values_list("to_tier__code", "value")) == [("silver", 1220)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_upgrade_committed_while_the_period_job_decides_is_not_overwritten(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a gold member whose grace ends with March (value 1,010) ...
    clock.freeze(T0)
    shop = Shop.objects.create(name="job-race")
    program: TierProgram = tiers_seed_defaults(shop=shop)
    now = clock.now()
    member = Member.objects.create(
        shop=shop, external_id="M1", registered_at=now, created_at=now, updated_at=now
    )
    send = Sender(shop)
    send.pay("A", 400000)  # 4010: silver
    send.pay("B", 100000)  # 5020: gold, caused by B
    send.refund("A", "R1")  # 1010
    for on in (dt.date(2026, 1, 31), dt.date(2026, 2, 28)):
        move_to(on + dt.timedelta(days=1))
        evaluation.tiers_evaluate_period(shop=shop)
    assert MemberTier.objects.get(member=member).grace_until == dt.date(2026, 3, 31)
    move_to(dt.date(2026, 4, 1))

    # ... and an order that makes them diamond, committed after the job has
    # decided to drop them from its snapshot but before it applies
    real_decide = evaluation._decide
    calls: list[int] = []
    out: dict[str, Any] = {}

    def pay_in_another_connection() -> None:
        try:
            out["paid"] = send.pay("C", 2000000)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            out["paid"] = exc
        finally:
            connection.close()

    def decide_then_race(**kwargs: Any) -> None:
        real_decide(**kwargs)
        calls.append(1)
        if len(calls) == 1:
            payer = threading.Thread(target=pay_in_another_connection)
            payer.start()
            payer.join(10)
            assert not payer.is_alive(), "the event waited for the job"

    monkeypatch.setattr(evaluation, "_decide", decide_then_race)

    def job() -> None:
        try:
            run = evaluation.tiers_evaluate_period(shop=shop)
            out["counts"] = run.counts if run else None
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            out["counts"] = exc
        finally:
            connection.close()

    runner = threading.Thread(target=job)
    runner.start()
    runner.join(30)

    # then the upgrade stands and the job recorded no downgrade
    assert isinstance(out["paid"], dict), out["paid"]
    assert out["counts"] == {
        "considered": 1,
        "upgraded": 0,
        "downgraded": 0,
        "grace_started": 0,
        "recovered": 0,
    }
    state = MemberTier.objects.select_related("tier").get(member=member)
    assert (state.tier.code, state.protected_until, state.grace_until) == (
        "diamond",
        dt.date(2026, 5, 31),
        None,
    )
    assert selectors.growth_value(member, program) == 21020
    assert [
        (c.cause, c.from_tier.code if c.from_tier else None, c.to_tier.code, c.value)
        for c in TierChange.objects.filter(member=member).order_by("at", "id")
    ] == [
        ("event", "normal", "silver", 4010),
        ("event", "silver", "gold", 5020),
        ("event", "gold", "diamond", 21020),
    ]
