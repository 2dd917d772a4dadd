"""Two events for one member at once on PostgreSQL: growth adds up and the
upgrade is recorded exactly once."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from patron.core import clock
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import TierChange, TierProgram
from patron.tiers.services.definitions import tiers_seed_defaults


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
