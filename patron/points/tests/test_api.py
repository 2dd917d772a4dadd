"""The points API: balance with expiry schedule, history, check-in, preview,
and the points effects in event results."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.core import clock
from patron.points.models import LedgerEntry, PointsAccount
from patron.points.tests.conftest import make_rule


def _paid(order_id, lines, **extra):
    return {
        "id": f"ev-{order_id}",
        "type": "order.paid",
        "member": "M1",
        "occurred_at": clock.now().isoformat(),
        "data": {
            "order_id": order_id,
            "lines": [
                {"line_id": f"L{i}", "sku": s, "quantity": q, "unit_price": p}
                for i, (s, q, p) in enumerate(lines, 1)
            ],
            "paid_amount": sum(q * p for _, q, p in lines),
            **extra,
        },
    }


def test_event_result_lists_points_effects(api, shop, member, program):
    make_rule(shop, points_per_yuan=1)
    response = api.post("/api/v1/events", _paid("O1", [("A", 2, 5000)]))
    assert response.status_code == 201
    fx = [e for e in response.json()["result"]["effects"] if e["type"].startswith("points.")]
    assert fx == [
        {
            "type": "points.earned",
            "state": "pending",
            "entry_id": LedgerEntry.objects.get().pk,
            "rule_id": fx[0]["rule_id"],
            "rule": "order.paid rule",
            "rule_version": 1,
            "points": 100,
        }
    ]


def test_insufficient_points_is_a_409_and_records_nothing(api, shop, member, program):
    body = _paid("O1", [("A", 1, 10000)], points_used=50, points_amount=50)
    body["data"]["paid_amount"] = 9950
    response = api.post("/api/v1/events", body)
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_points"
    assert LedgerEntry.objects.count() == 0


def test_balance_and_history(api, shop, member, program, t0):
    make_rule(shop, "link.shared", name="Share", points=30)
    for i in range(3):
        api.post(
            "/api/v1/events",
            {"id": f"s{i}", "type": "link.shared", "member": "M1", "occurred_at": t0.isoformat()},
        )
    balance = api.get("/api/v1/members/M1/points").json()
    assert balance == {
        "member": "M1",
        "available": 90,
        "pending": 0,
        "debt": 0,
        "lifetime_earned": 90,
        "expiring": [],  # end of 2027: beyond 12 months
        "expiring_until": "2027-03-10",
    }
    clock.freeze(dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    balance = api.get("/api/v1/members/M1/points").json()
    assert balance["expiring"] == [{"date": "2027-12-31", "points": 90}]
    page1 = api.get("/api/v1/members/M1/points/entries", limit=2, lang="en").json()
    assert [i["points"] for i in page1["items"]] == [30, 30]
    assert page1["items"][0]["reason"] == "Share"
    page2 = api.get(
        "/api/v1/members/M1/points/entries", limit=2, before=page1["next_before"]
    ).json()
    assert len(page2["items"]) == 1 and page2["next_before"] is None


def test_expiry_schedule_covers_exactly_the_next_twelve_calendar_months(api, member, program):
    from django.db import transaction

    from patron.points.models import EntryKind
    from patron.points.services.ledger import Refs, account_lock, do_credit, local_midnight

    clock.freeze(dt.datetime(2027, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    with transaction.atomic():
        account = account_lock(member=member)
        # Usable through 2028-03-01 (12 months from today) and 2028-03-02 (one day more).
        for points, last_day in [(10, dt.date(2028, 3, 1)), (20, dt.date(2028, 3, 2))]:
            do_credit(
                account,
                points=points,
                kind=EntryKind.ADJUST,
                refs=Refs(reason_code="adjust", reason_params={"note": "t"}),
                expires_at=local_midnight(last_day + dt.timedelta(days=1)),
            )
    balance = api.get("/api/v1/members/M1/points").json()
    assert balance["available"] == 30
    assert balance["expiring"] == [{"date": "2028-03-01", "points": 10}]


def test_unknown_member_and_scope(api, make_api, member):
    assert api.get("/api/v1/members/nobody/points").status_code == 404
    reader = make_api("members:read")
    assert reader.get("/api/v1/members/M1/points").status_code == 403


def test_checkin_endpoint(api, shop, member, program):
    make_rule(shop, "checkin", points=5, streak_bonuses={"2": 10})
    first = api.post("/api/v1/members/M1/checkin")
    assert first.status_code == 201 and first.json()["points"] == 5
    again = api.post("/api/v1/members/M1/checkin")
    assert again.status_code == 409 and again.json()["code"] == "limit_reached"
    clock.advance(dt.timedelta(days=1))
    second = api.post("/api/v1/members/M1/checkin", headers={"Idempotency-Key": "c2"})
    replay = api.post("/api/v1/members/M1/checkin", headers={"Idempotency-Key": "c2"})
    assert second.json()["points"] == 15 and second.json()["streak"] == 2
    assert replay.json() == second.json()
    assert PointsAccount.objects.get(member=member).available == 20


def test_preview_explains_and_writes_nothing(api, shop, member, program):
    make_rule(shop, name="Base", points_per_yuan=1, category_multipliers={"shoes": 200})
    make_rule(shop, name="Big orders", points_per_yuan=1, min_order_amount=50000)
    response = api.post(
        "/api/v1/points/preview",
        {
            "member": "M1",
            "lines": [
                {
                    "line_id": "a",
                    "sku": "S1",
                    "category": "shoes",
                    "quantity": 1,
                    "unit_price": 10000,
                },
                {"line_id": "b", "sku": "S2", "quantity": 2, "unit_price": 2550},
            ],
            "paid_amount": 16100,
            "shipping_fee": 1000,
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    # goods paid ¥151: shoes ¥100 ×2 = 200, other ¥51 = 51
    assert body["points"] == 251
    assert body["rules"][0]["lines"] == {"a": 200, "b": 51}
    assert body["not_applied"] == [
        {"rule_id": body["not_applied"][0]["rule_id"], "rule": "Big orders", "why": "below_minimum"}
    ]
    assert LedgerEntry.objects.count() == 0
    assert PointsAccount.objects.count() == 0


def test_preview_validation_names_the_field(api, shop):
    response = api.post("/api/v1/points/preview", {"lines": [], "paid_amount": 1})
    assert response.status_code == 422
    assert response.json()["field"] == "lines"
    line = {"line_id": "a", "sku": "S", "quantity": 1, "unit_price": 100}
    # What the order.paid event would refuse, the preview refuses the same way.
    for body, field in [
        ({"lines": [line, line], "paid_amount": 200}, "lines"),
        ({"lines": [line], "paid_amount": 100, "currency": "USD"}, "currency"),
        ({"lines": [line], "paid_amount": 101}, "paid_amount"),
    ]:
        response = api.post("/api/v1/points/preview", body)
        assert (response.status_code, response.json()["field"]) == (422, field), body


def test_preview_sees_the_order_as_its_event_would(api, shop, member, program):
    """A condition over the data the event carries (the discount, sent or not)
    gives the preview the answer the event then gets."""
    make_rule(
        shop,
        name="Full price",
        points_per_yuan=2,
        condition="has(event.data.discount_amount) && event.data.discount_amount == 0",
    )
    make_rule(shop, name="Base", points_per_yuan=1)
    for n, (extra, points) in enumerate(
        [
            ({"discount_amount": 1000, "paid_amount": 9000}, 90),
            ({"discount_amount": 0}, 300),
            ({}, 100),
        ]
    ):
        event = _paid(f"O{n}", [("S", 1, 10000)], **extra)
        preview = api.post("/api/v1/points/preview", {"member": "M1", **event["data"]}).json()
        assert preview["points"] == points, extra
        result = api.post("/api/v1/events", event).json()["result"]
        earned = [e["points"] for e in result["effects"] if e["type"] == "points.earned"]
        assert sum(earned) == points, extra


def test_order_earn_query_count_is_pinned(shop, member, program, django_assert_num_queries):
    """The points part of order.paid: rules, account lock, programme, lot, entry,
    balance update, line attribution, and the member's tier with its benefits
    (tiers app, one query): eight queries whatever the number of lines (the lines
    order_record_paid just wrote are not read back)."""
    from patron.orders import services as order_services
    from patron.points.services import order_earn

    make_rule(shop, points_per_yuan=1)
    lines = [order_services.LineInput(f"L{i}", f"S{i}", 1, 1000 + i) for i in range(20)]
    order = order_services.order_record_paid(
        shop=shop,
        member=member,
        data=order_services.PaidOrderInput(
            order_id="O1", lines=lines, paid_amount=sum(ln.unit_price for ln in lines)
        ),
        at=clock.now(),
    )
    PointsAccount.objects.create(shop=shop, member=member, updated_at=clock.now())
    with django_assert_num_queries(8):
        fx = order_earn(order=order, member=member)
    assert fx[0]["points"] == 201  # ¥201.90 -> 201


def test_balance_shows_the_whole_expiry_schedule_on_request(api, member, program):
    """Twelve months by default; a longer horizon in months, or a last day,
    shows the rest (backdated lots and long rolling expiries alike)."""
    from django.db import transaction

    from patron.points.models import EntryKind
    from patron.points.services.ledger import Refs, account_lock, do_credit, local_midnight

    clock.freeze(dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    with transaction.atomic():
        account = account_lock(member=member)
        for points, last_day in [
            (10, dt.date(2026, 12, 31)),
            (20, dt.date(2027, 12, 31)),
            (30, dt.date(2031, 3, 9)),
        ]:
            do_credit(
                account,
                points=points,
                kind=EntryKind.ADJUST,
                refs=Refs(reason_code="adjust", reason_params={"note": "t"}),
                expires_at=local_midnight(last_day + dt.timedelta(days=1)),
            )
    path = "/api/v1/members/M1/points"
    default = api.get(path).json()
    assert default["expiring"] == [{"date": "2026-12-31", "points": 10}]
    assert default["expiring_until"] == "2027-03-10"
    two_years = api.get(path, expiry_horizon_months=24).json()
    assert [e["points"] for e in two_years["expiring"]] == [10, 20]
    assert two_years["expiring_until"] == "2028-03-10"
    everything = api.get(path, expiry_until="9999-12-31").json()
    assert everything["expiring"] == [
        {"date": "2026-12-31", "points": 10},
        {"date": "2027-12-31", "points": 20},
        {"date": "2031-03-09", "points": 30},
    ]
    through = api.get(path, expiry_until="2031-03-08").json()
    assert [e["points"] for e in through["expiring"]] == [10, 20]
    # Bad horizons are refused, naming the parameter
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"expiry_horizon_months": 0}, "expiry_horizon_months"),
        ({"expiry_horizon_months": "x"}, "expiry_horizon_months"),
        ({"expiry_until": "2026-03-09"}, "expiry_until"),
        ({"expiry_until": "soon"}, "expiry_until"),
        ({"expiry_until": "2027-01-01", "expiry_horizon_months": 3}, "expiry_until"),
    ]
    for params, field in refusals:
        response = api.get(path, **params)
        assert response.status_code == 422, params
        assert response.headers["Content-Type"].startswith("application/problem+json")
        assert response.json()["field"] == field, params


def test_the_expiry_horizon_is_documented(api):
    from django.test import Client

    document = Client().get("/api/openapi.json").json()
    operation = document["paths"]["/api/v1/members/{external_id}/points"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert "calendar months" in params["expiry_horizon_months"]["description"]
    assert params["expiry_horizon_months"]["schema"]["default"] == 12
    assert "whole expiry schedule" in params["expiry_until"]["description"]


def test_preview_gives_when_the_points_become_available_as_a_date_and_the_rule_apart(
    api, shop, member, program, t0
):
    make_rule(shop, name="Base", points_per_yuan=1)
    line = {"line_id": "a", "sku": "S1", "quantity": 1, "unit_price": 10000}
    order: dict[str, Any] = {"member": "M1", "lines": [line], "paid_amount": 10000}
    # At checkout nobody knows when the order will complete: no date, the rule
    unknown = api.post("/api/v1/points/preview", order).json()
    assert unknown["points"] == 100
    assert unknown["pending_until"] is None
    assert unknown["pending_rule"] == {"after": "order.completed", "days": 7}
    # A till sale completes when it is paid: the date is known
    completed_at = "2026-03-10T18:00:00+08:00"
    known = api.post("/api/v1/points/preview", {**order, "completed_at": completed_at}).json()
    assert known["pending_until"] == "2026-03-17T18:00:00+08:00"
    assert known["pending_rule"] == {"after": "order.completed", "days": 7}
    # Nothing earned, nothing pending
    small = {**order, "lines": [{**line, "unit_price": 50}], "paid_amount": 50}
    nothing = api.post("/api/v1/points/preview", {**small, "completed_at": completed_at}).json()
    assert (nothing["points"], nothing["pending_until"]) == (0, None)
    # A completion before the payment is refused, naming the field
    early = api.post(
        "/api/v1/points/preview",
        {**order, "paid_at": completed_at, "completed_at": "2026-03-09T18:00:00+08:00"},
    )
    assert early.status_code == 422 and early.json()["field"] == "completed_at"


def test_preview_pending_fields_are_documented(api):
    from django.test import Client

    schemas = Client().get("/api/openapi.json").json()["components"]["schemas"]
    out = schemas["PreviewOut"]["properties"]
    assert out["pending_until"]["anyOf"][0]["format"] == "date-time"
    assert "completed_at" in out["pending_until"]["description"]
    assert "return window" in out["pending_rule"]["description"]
    assert "completed_at" in schemas["PreviewIn"]["properties"]
