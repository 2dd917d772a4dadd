"""Upgrades happen in the event's transaction, straight to the highest tier reached."""

from __future__ import annotations

from typing import Any

import pytest

from patron.members.models import Member
from patron.tiers.models import MemberTier, TierChange, TierProgram

pytestmark = pytest.mark.django_db


def paid(event_id: str, order_id: str, amount: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.paid",
        "member": "M1",
        "occurred_at": "2026-01-10T12:00:00+08:00",
        "data": {
            "order_id": order_id,
            "lines": [{"line_id": "L1", "sku": "S1", "quantity": 1, "unit_price": amount}],
            "paid_amount": amount,
        },
    }


def test_one_event_jumps_from_silver_over_gold_to_diamond(
    api: Any, program: TierProgram, member: Member
) -> None:
    first = api.post("/api/v1/events", paid("e1", "O1", 100000))  # 1000 + 10 -> silver
    assert first.status_code == 201
    upgraded = [e for e in first.json()["result"]["effects"] if e["type"] == "tier.upgraded"]
    assert [(e["from"], e["to"], e["value"]) for e in upgraded] == [("normal", "silver", 1010)]

    second = api.post("/api/v1/events", paid("e2", "O2", 1900000))  # +19000 + 10 = 20020

    assert second.status_code == 201
    upgraded = [e for e in second.json()["result"]["effects"] if e["type"] == "tier.upgraded"]
    assert upgraded == [
        {
            "type": "tier.upgraded",
            "member": "M1",
            "from": "silver",
            "to": "diamond",
            "value": 20020,
            "threshold": 20000,
            "measure": "growth",
            "protected_until": "2026-02-28",
        }
    ]
    assert MemberTier.objects.get(member=member).tier.code == "diamond"
    history = list(
        TierChange.objects.order_by("at", "pk").values_list(
            "from_tier__code", "to_tier__code", "cause", "event_id", "value", "threshold"
        )
    )
    assert history == [
        ("normal", "silver", "event", "e1", 1010, 1000),
        ("silver", "diamond", "event", "e2", 20020, 20000),
    ]
    # A replay changes nothing and answers the same.
    replay = api.post("/api/v1/events", paid("e2", "O2", 1900000))
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")
    assert replay.json() == second.json()
    assert TierChange.objects.count() == 2


def test_refused_event_leaves_no_growth_and_no_upgrade(
    api: Any, program: TierProgram, member: Member
) -> None:
    body = paid("e1", "O1", 2000000)
    body["data"]["paid_amount"] = 2000001  # more than the lines: refused

    response = api.post("/api/v1/events", body)

    assert response.status_code == 422
    assert not MemberTier.objects.exists()
    assert not TierChange.objects.exists()


def test_member_tier_endpoint_shows_progress(
    api: Any, program: TierProgram, member: Member
) -> None:
    api.post("/api/v1/events", paid("e1", "O1", 150000))  # 1500 + 10 = 1510 -> silver

    body = api.get("/api/v1/members/M1/tier").json()

    assert body["tier"]["code"] == "silver"
    assert body["value"] == 1510
    assert body["window_starts"] == "2025-02-01"
    assert body["next_tier"]["code"] == "gold"
    assert body["next_tier"]["missing"] == 5000 - 1510
    assert body["protected_until"] == "2026-02-28"
    # protected to the end of February, then one grace month at the earliest
    assert body["kept_until"] == "2026-03-31"
    assert body["retention"] == {
        "threshold": 800,
        "next_evaluation_on": "2026-01-31",
        "value_leaving_window_by_then": 0,
        "missing_at_next_evaluation": 0,
        "at_risk": False,
        "grace_until": None,
    }
    assert body["benefits"]["earn_multiplier_percent"] == 120
    assert body["benefits"]["discount_bp"] == 200
    assert [c["to"] for c in body["recent_changes"]] == ["silver"]


def test_unknown_member_is_a_problem_document(api: Any, program: TierProgram) -> None:
    response = api.get("/api/v1/members/nobody/tier")

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_member"


def test_tier_list(api: Any, program: TierProgram) -> None:
    body = api.get("/api/v1/tiers").json()

    assert body["measure"] == "growth"
    assert [(t["code"], t["name"], t["name_en"], t["entry_threshold"]) for t in body["tiers"]] == [
        ("normal", "普通会员", "Normal", 0),
        ("silver", "银牌会员", "Silver", 1000),
        ("gold", "金牌会员", "Gold", 5000),
        ("diamond", "钻石会员", "Diamond", 20000),
    ]
    assert body["tiers"][3]["benefits"]["earn_multiplier_percent"] == 200
    assert body["tiers"][3]["benefits"]["dedicated_service"] is True
