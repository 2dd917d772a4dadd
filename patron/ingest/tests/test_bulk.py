"""The batch endpoint's set-based lane for order.paid (``ingest.bulk``) gives
exactly what the per-event pipeline gives: the same answers and the same rows,
on random batches that mix plain paid orders with everything the lane must
leave to the pipeline."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from django.test import override_settings

from patron.core.models import Shop
from patron.events import services
from patron.events.models import Event
from patron.events.tests.factories import OCCURRED_AT, event
from patron.ingest import bulk
from patron.ingest import services as ingest_services
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order, OrderStatusChange
from patron.points.models import LedgerEntry, LineEarning, PointsAccount, PointsLot, PointsProgram
from patron.rules import services as rule_services
from patron.tiers.models import GrowthEntry, GrowthMonth, MemberTier, TierChange
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db

MEMBERS = [f"M{i}" for i in range(1, 61)]
# When the batch's paid orders happened: mostly on the later events' day, some
# backdated (a till's yesterday, a backfill of earlier years), whose points
# expire by their own year.
PAID_AT = [
    OCCURRED_AT,
    OCCURRED_AT,
    "2024-05-01T09:30:00+08:00",
    "2025-12-31T23:30:00+08:00",
    "2026-01-01T00:10:00+08:00",
]


def _configure(name: str) -> Shop:
    """A shop with two order rules (multipliers, a member day, a condition),
    the default tiers, sixty members, one of them already Gold, and one paid
    order whose id the batches reuse."""
    shop = Shop.objects.create(name=name)
    PointsProgram.objects.create(shop=shop)
    rule_services.rule_create(
        shop=shop,
        name="1 per yuan",
        trigger="order.paid",
        fields={
            "points_per_yuan": 1,
            "category_multipliers": {"shoes": 200},
            "sku_multipliers": {"SKU-7": 300},
            "tier_multipliers": {"gold": 150},
            "member_day_of_month": 11,
            "member_day_multiplier": 200,
        },
    )
    rule_services.rule_create(
        shop=shop,
        name="big baskets",
        trigger="order.paid",
        fields={
            "points_per_yuan": 2,
            "condition": 'order.goods_paid >= 30000 && member.tier != "diamond"',
            "min_order_amount": 10000,
        },
    )
    tiers_seed_defaults(shop=shop)
    for external_id in MEMBERS:
        MemberFactory.create(shop=shop, external_id=external_id)
    big = _paid("HIST-1", [("L1", "SKU-1", "books", 1, 900000)], 0)
    services.event_ingest(shop=shop, raw=event("order.paid", big, member="M2", id="hist-1"))
    return shop


def _paid(order_id: str, lines: list[tuple[str, str, str, int, int]], shipping: int, **extra: Any):
    items = sum(q * p for _, _, _, q, p in lines)
    return {
        "order_id": order_id,
        "lines": [
            {"line_id": lid, "sku": sku, "category": cat, "quantity": q, "unit_price": p}
            for lid, sku, cat, q, p in lines
        ],
        "paid_amount": items + shipping,
        "shipping_fee": shipping,
        **extra,
    }


def _batch(seed: int, size: int = 60) -> list[Any]:
    rnd = random.Random(seed)
    when = random.Random(-seed)  # apart, so the batches are otherwise as before
    raws: list[Any] = []
    paid: list[tuple[str, str, int]] = []  # member, order id, lines
    for n in range(size):
        member = rnd.choice(MEMBERS)
        if paid and rnd.random() < 0.25:
            # A later event of an order paid earlier in the batch
            owner, order_id, lines_count = rnd.choice(paid)
            if rnd.random() < 0.1:
                owner = rnd.choice(MEMBERS)  # someone else's order: refused
            kind = rnd.choice(["order.shipped", "order.completed", "order.refunded",
                               "order.cancelled"])  # fmt: skip
            data: dict[str, Any] = {"order_id": order_id}
            if kind == "order.refunded":
                data["refund_id"] = f"RF{n}"
                if rnd.random() < 0.6:
                    line_id = f"L{rnd.randrange(lines_count)}"
                    data["lines"] = [{"line_id": line_id, "quantity": 1}]
            raws.append(event(kind, data, member=owner, id=f"e{n}"))
            continue
        lines = [
            (
                f"L{i}",
                rnd.choice(["SKU-1", "SKU-2", "SKU-7"]),
                rnd.choice(["shoes", "books", ""]),
                rnd.randint(1, 3),
                rnd.choice([99, 1000, 12900, 39900, 250000]),
            )
            for i in range(rnd.randint(1, 4))
        ]
        paid_data = _paid(f"B{seed}-{n}", lines, rnd.choice([0, 500, 1000]))
        kind_draw = rnd.random()
        if kind_draw < 0.08:
            paid_data["paid_amount"] += 999_999  # more than lines plus shipping: refused
        elif kind_draw < 0.13:
            member = "NOBODY"
        elif kind_draw < 0.17:
            paid_data["order_id"] = "HIST-1"  # already paid
        elif kind_draw < 0.21:
            paid_data["points_used"] = 100  # paid partly with points (none to spend: refused)
        elif kind_draw < 0.25 and raws:
            raws.append(copy.deepcopy(rnd.choice(raws)))  # the same event again
            continue
        elif kind_draw < 0.30:
            raws.append(event("review.posted", {"review_id": f"R{n}"}, member=member, id=f"e{n}"))
            continue
        elif kind_draw < 0.33:
            raws.append({"id": f"e{n}", "type": "order.paid"})  # malformed
            continue
        if rnd.random() < 0.08:
            member = f" {member}"  # the same member, as validation strips ids
        paid_at = when.choice(PAID_AT)
        raws.append(event("order.paid", paid_data, member=member, id=f"e{n}", occurred_at=paid_at))
        paid.append((member, paid_data["order_id"], len(lines)))
    return raws


def _normal(value: Any) -> Any:
    """Answers with the ids that differ between shops taken out."""
    text = json.dumps(value, sort_keys=True)
    data = json.loads(text)

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in {"entry_id", "rule_id"}}
        if isinstance(node, list):
            return [strip(v) for v in node]
        return node

    return strip(data)


def _state(shop: Shop) -> dict[str, Any]:
    def rows(qs: Any, *fields: str) -> list[tuple[Any, ...]]:
        return sorted(tuple(str(v) for v in row) for row in qs.values_list(*fields))

    return {
        "accounts": rows(
            PointsAccount.objects.filter(shop=shop),
            "member__external_id",
            "available",
            "pending",
            "debt",
            "lifetime_earned",
        ),
        "lots": rows(
            PointsLot.objects.filter(account__shop=shop),
            "account__member__external_id",
            "order__external_id",
            "points",
            "remaining",
            "state",
            "earned_at",
            "available_at",
            "expires_at",
            "rule_version__rule__name",
        ),
        "entries": rows(
            LedgerEntry.objects.filter(account__shop=shop),
            "account__member__external_id",
            "kind",
            "points",
            "delta_available",
            "delta_pending",
            "delta_debt",
            "delta_lifetime",
            "reason_code",
            "reason_params",
            "rule__name",
            "event__external_id",
            "order__external_id",
            "lot__points",
        ),
        "line_earnings": rows(
            LineEarning.objects.filter(lot__account__shop=shop),
            "line__order__external_id",
            "line__line_id",
            "points",
            "lot__rule_version__rule__name",
        ),
        "orders": rows(
            Order.objects.filter(shop=shop),
            "external_id",
            "member__external_id",
            "status",
            "items_amount",
            "paid_amount",
            "shipping_fee",
            "paid_at",
            "placed_at",
        ),
        "lines": rows(
            Order.objects.filter(shop=shop),
            "external_id",
            "lines__line_id",
            "lines__paid_amount",
            "lines__category",
        ),
        "history": rows(
            OrderStatusChange.objects.filter(order__shop=shop),
            "order__external_id",
            "from_status",
            "to_status",
            "at",
            "event_id",
        ),
        "growth": rows(
            GrowthEntry.objects.filter(shop=shop),
            "member__external_id",
            "kind",
            "value",
            "month",
            "basis",
            "weight",
            "order__external_id",
            "event_id",
        ),
        "months": rows(
            GrowthMonth.objects.filter(shop=shop), "member__external_id", "month", "value"
        ),
        "tiers": rows(
            MemberTier.objects.filter(shop=shop),
            "member__external_id",
            "tier__code",
            "protected_until",
            "grace_until",
        ),
        "changes": rows(
            TierChange.objects.filter(shop=shop),
            "member__external_id",
            "from_tier__code",
            "to_tier__code",
            "value",
            "threshold",
            "event_id",
        ),
        "events": sorted(
            (e.external_id, e.type, e.payload_hash, json.dumps(_normal(e.result), sort_keys=True))
            for e in Event.objects.filter(shop=shop)
        ),
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_the_lane_gives_what_the_pipeline_gives(seed: int, lane_runs: list[int]):
    lane_shop, pipeline_shop = _configure("Lane"), _configure("Pipeline")
    applied = lane_runs
    raws = _batch(seed)
    with override_settings(PATRON_BATCH_PAID_LANE=True):
        lane = ingest_services.event_ingest_batch(shop=lane_shop, raws=copy.deepcopy(raws))
    with override_settings(PATRON_BATCH_PAID_LANE=False):
        pipeline = ingest_services.event_ingest_batch(shop=pipeline_shop, raws=copy.deepcopy(raws))
    # The lane took a good part of the batch, and both ways answered alike
    assert len(applied) == 1 and applied[0] >= 10
    assert _normal(lane) == _normal(pipeline)
    statuses = {a["status"] for a in lane}
    assert {"applied", "rejected"} <= statuses
    # and wrote the same rows
    lane_state, pipeline_state = _state(lane_shop), _state(pipeline_shop)
    for table in pipeline_state:
        assert _normal(lane_state[table]) == _normal(pipeline_state[table]), table


def test_an_upgrade_across_tiers_in_the_lane_is_recorded_like_the_pipelines(monkeypatch: Any):
    shop = _configure("Upgrades")
    big = _paid("UP-1", [("L1", "SKU-1", "books", 1, 2_000_000)], 0)
    small = _paid("UP-2", [("L1", "SKU-1", "books", 1, 1000)], 0)
    answers = ingest_services.event_ingest_batch(
        shop=shop,
        raws=[
            event("order.paid", big, member="M5", id="u1"),
            event("order.paid", small, member="M6", id="u2"),
        ],
    )
    effects = [e["type"] for e in answers[0]["result"]["effects"]]
    assert effects == [
        "order.recorded",
        "points.earned",
        "points.earned",
        "growth.changed",
        "tier.upgraded",
    ]
    assert answers[0]["result"]["effects"][-1]["to"] == "diamond"
    assert [e["type"] for e in answers[1]["result"]["effects"]] == [
        "order.recorded",
        "points.earned",
        "growth.changed",
    ]
    assert MemberTier.objects.get(member__external_id="M5", shop=shop).tier.code == "diamond"
    assert not MemberTier.objects.filter(member__external_id="M6", shop=shop).exists()


def test_an_event_id_taken_meanwhile_sends_the_lane_back_to_the_pipeline(monkeypatch: Any):
    shop = _configure("Race")
    raws = [
        event("order.paid", _paid(f"R-{i}", [("L1", "SKU-1", "", 1, 1000)], 0), member=m, id=m)
        for i, m in enumerate(["M3", "M4", "M5"])
    ]
    real_eligible = bulk._eligible

    def eligible_then_taken(shop_: Shop, paid: list[Any]) -> list[Any]:
        found = real_eligible(shop_, paid)
        # Another request stores M4's event id after the lane looked.
        services.event_ingest(shop=shop_, raw=copy.deepcopy(raws[1]))
        return found

    monkeypatch.setattr(bulk, "_eligible", eligible_then_taken)
    answers = ingest_services.event_ingest_batch(shop=shop, raws=copy.deepcopy(raws))
    assert [(a["status"], a["replayed"]) for a in answers] == [
        ("applied", False),
        ("applied", True),
        ("applied", False),
    ]
    assert Order.objects.filter(shop=shop, external_id__startswith="R-").count() == 3
    # ¥10 at 1 point a yuan, doubled on the member day (the 11th): earned once
    assert PointsAccount.objects.get(shop=shop, member__external_id="M4").pending == 20
    assert PointsLot.objects.filter(order__external_id="R-1", order__shop=shop).count() == 1


def test_junk_beside_plain_orders_is_refused_and_the_orders_still_take_the_lane(
    monkeypatch: Any,
):
    shop = _configure("Junk")
    applied: list[int] = []
    real_apply = bulk._apply

    def counting_apply(*args: Any, **kwargs: Any) -> dict[int, dict[str, Any]]:
        applied.append(1)
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(bulk, "_apply", counting_apply)
    plain = event("order.paid", _paid("J-1", [("L1", "SKU-1", "", 1, 1000)], 0), member="M7")
    junk: list[Any] = [
        {"id": ["not", "hashable"], "type": "order.paid", "member": {"a": 1}},
        {"id": "j2", "type": "order.paid", "member": ["M8"], "data": {}},
        ["a list"],
        None,
    ]
    answers = ingest_services.event_ingest_batch(shop=shop, raws=[*junk, plain])
    assert [a["status"] for a in answers] == ["rejected"] * 4 + ["applied"]
    assert applied == [1]


def test_ids_spelt_with_spaces_are_the_same_ids_in_the_lane(monkeypatch: Any):
    # Validation strips ids, so " M7" is M7: the lane must not take two of M7's
    # orders at once, nor two events that are one
    lane_shop, pipeline_shop = _configure("Spaces lane"), _configure("Spaces pipeline")
    one = _paid("S-1", [("L1", "SKU-1", "", 1, 10000)], 0)
    two = _paid("S-2", [("L1", "SKU-1", "", 1, 20000)], 0)
    three = _paid(" S-3", [("L1", "SKU-1", "", 1, 30000)], 0)
    raws = [
        event("order.paid", one, member="M7", id="s1"),
        event("order.paid", two, member=" M7 ", id="s2"),
        event("order.paid", three, member="M8", id="s3"),
        event("order.paid", _paid("S-3", [("L1", "SKU-1", "", 1, 100)], 0), member="M9", id="s4"),
        event("order.paid", _paid("S-5", [("L1", "SKU-2", "", 1, 100)], 0), member="M10", id="s3 "),
    ]
    with override_settings(PATRON_BATCH_PAID_LANE=True):
        lane = ingest_services.event_ingest_batch(shop=lane_shop, raws=copy.deepcopy(raws))
    with override_settings(PATRON_BATCH_PAID_LANE=False):
        pipeline = ingest_services.event_ingest_batch(shop=pipeline_shop, raws=copy.deepcopy(raws))
    assert _normal(lane) == _normal(pipeline)
    # M7's two orders, M8's " S-3"; M9's "S-3" is that order again; "s3 " is s3
    assert [a["status"] for a in lane] == ["applied"] * 3 + ["rejected"] * 2
    lane_state, pipeline_state = _state(lane_shop), _state(pipeline_shop)
    for table in pipeline_state:
        assert _normal(lane_state[table]) == _normal(pipeline_state[table]), table
