"""An order paid and cancelled in one batch takes the tier upgrade back alike
in the set-based lane and in the pipeline (the reversal itself is tested in
patron/tiers/tests/test_upgrade_reversal.py)."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.test import override_settings

from patron.core import clock
from patron.core.models import Shop
from patron.ingest import services as ingest_services
from patron.members.models import Member
from patron.tiers.services.definitions import tiers_seed_defaults
from patron.tiers.tests.conftest import T0, effects_of
from patron.tiers.tests.test_upgrade_reversal import history, state

pytestmark = pytest.mark.django_db


def _shop(name: str) -> Shop:
    shop = Shop.objects.create(name=name)
    tiers_seed_defaults(shop=shop)
    member = Member.objects.create(
        shop=shop, external_id="M1", registered_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )  # fmt: skip
    assert member.pk
    return shop


def test_the_batch_lane_and_the_pipeline_reverse_alike(lane_runs: list[int]) -> None:
    clock.freeze(T0)
    applied = lane_runs
    at = T0.isoformat()
    line = {"line_id": "L1", "sku": "S", "quantity": 1, "unit_price": 2000000, "category": "c"}
    raws = [
        {"id": "p1", "type": "order.paid", "member": "M1", "occurred_at": at,
         "data": {"order_id": "A", "lines": [line], "paid_amount": 2000000}},
        {"id": "c1", "type": "order.cancelled", "member": "M1", "occurred_at": at,
         "data": {"order_id": "A"}},
    ]  # fmt: skip
    outcomes = {}
    for lane in (True, False):
        shop = _shop(f"lane={lane}")
        with override_settings(PATRON_BATCH_PAID_LANE=lane):
            answers = ingest_services.event_ingest_batch(shop=shop, raws=copy.deepcopy(raws))
        member = Member.objects.get(shop=shop)
        outcomes[lane] = (
            [effects_of(a["result"], "tier.upgrade_reversed") for a in answers],
            state(member),
            history(member),
        )
    assert applied == [1]  # the paid order took the lane once
    assert outcomes[True] == outcomes[False]
    assert outcomes[True][1] == ("normal", None, None)
    assert outcomes[True][2] == [
        ("event", "normal", "diamond", 20010, 20000, "p1"),
        ("upgrade_reversed", "diamond", "normal", 0, 20000, "c1"),
    ]
