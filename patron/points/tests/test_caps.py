"""Daily and monthly caps per member: orders (with per-line attribution of the
capped total), reviews, check-ins and custom events, the day and month
boundaries in shop time, and what the preview says for a partly capped member."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.members.models import Member
from patron.points.models import CheckIn, LedgerEntry, LineEarning, PointsAccount, PointsLot
from patron.points.selectors import ledger_mismatches
from patron.points.services import checkin_record
from patron.points.tests.conftest import effects, make_rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_mismatches() == []


def balances(member):
    acc = PointsAccount.objects.get(member=member)
    return acc.available, acc.pending, acc.debt, acc.lifetime_earned


def earned(result) -> list[int]:
    return [e["points"] for e in effects(result, "points.earned")]


def lines_of(order_id: str) -> dict[str, tuple[int, int]]:
    """line id -> (points attributed, points reversed) for the order's lines."""
    rows = LineEarning.objects.filter(line__order__external_id=order_id)
    return {r.line.line_id: (r.points, r.reversed_points) for r in rows.select_related("line")}


# --- orders --------------------------------------------------------------


def test_capped_order_splits_the_capped_total_over_its_lines(shop, member, send):
    make_rule(shop, points_per_yuan=1, daily_cap=150)
    assert earned(send.paid("O1", [("A", 1, 10000)])) == [100]
    # Uncapped O2 earns 100 (L1 3×¥20 = 60, L2 ¥40 = 40); 50 are left of today's cap
    result = send.paid("O2", [("A", 3, 2000), ("B", 1, 4000)])
    fx = effects(result, "points.earned")
    assert [(e["points"], e["capped_from"]) for e in fx] == [(50, 100)]
    # The 50 are split 60:40 like the uncapped points, and add up to the lot
    assert lines_of("O2") == {"L1": (30, 0), "L2": (20, 0)}
    lot = PointsLot.objects.get(order__external_id="O2")
    assert (lot.points, lot.remaining) == (50, 50)
    entry = LedgerEntry.objects.get(pk=fx[0]["entry_id"])
    assert entry.reason_params["capped_from"] == 100
    assert balances(member) == (0, 150, 0, 150)
    # The cap is full: a third order today earns nothing and attributes nothing
    third = send.paid("O3", [("A", 1, 10000)])
    assert earned(third) == [] and len(effects(third, "points.capped")) == 1
    assert lines_of("O3") == {}
    assert LedgerEntry.objects.count() == 2
    # One of L1's three units comes back: a third of its capped 30, not of its 60
    refund = send.refund("O2", "R1", {"L1": 1})
    assert [e["points"] for e in effects(refund, "points.reversed")] == [-10]
    assert lines_of("O2") == {"L1": (30, 10), "L2": (20, 0)}
    assert PointsLot.objects.get(order__external_id="O2").remaining == 40
    assert PointsLot.objects.get(order__external_id="O1").remaining == 100
    assert balances(member) == (0, 140, 0, 140)


def test_capped_order_full_refund_reverses_exactly_the_capped_points(shop, member, send):
    make_rule(shop, points_per_yuan=1, daily_cap=45)
    # Uncapped 100 (70 + 30), capped to 45: 31.5 and 13.5, the tie going to L1
    result = send.paid("O1", [("A", 1, 7000), ("B", 1, 3000)])
    assert [(e["points"], e["capped_from"]) for e in effects(result, "points.earned")] == [
        (45, 100)
    ]
    assert lines_of("O1") == {"L1": (32, 0), "L2": (13, 0)}
    assert [
        e["points"] for e in effects(send.refund("O1", "R1", {"L2": 1}), "points.reversed")
    ] == [-13]
    assert [
        e["points"] for e in effects(send.refund("O1", "R2", {"L1": 1}), "points.reversed")
    ] == [-32]
    assert balances(member) == (0, 0, 0, 0)


def test_order_monthly_cap_across_days_and_next_month(shop, member, send):
    make_rule(shop, points_per_yuan=1, monthly_cap=250)
    assert earned(send.paid("O1", [("A", 1, 10000)])) == [100]  # 10 March
    clock.advance(dt.timedelta(days=1))
    assert earned(send.paid("O2", [("A", 1, 10000)])) == [100]
    clock.advance(dt.timedelta(days=1))
    assert earned(send.paid("O3", [("A", 1, 10000)])) == [50]
    clock.freeze(dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=SHANGHAI))
    assert earned(send.paid("O4", [("A", 1, 10000)])) == []
    # 1 April in Shanghai, still 31 March in UTC: a new month
    clock.freeze(dt.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI))
    assert earned(send.paid("O5", [("A", 1, 10000)])) == [100]
    assert balances(member) == (0, 350, 0, 350)


# --- reviews -------------------------------------------------------------


def review(send, review_id: str, photos: bool = True):
    return send("review.posted", data={"review_id": review_id, "has_photos": photos})


def test_review_caps_with_photo_bonus(shop, member, send, t0):
    make_rule(
        shop, "review.posted", points=10, photo_bonus_points=20, daily_cap=50, monthly_cap=120
    )
    # 10 March: 30, then the 20 left of the day, then nothing
    assert earned(review(send, "R1")) == [30]
    r2 = review(send, "R2")
    assert [(e["points"], e["capped_from"]) for e in effects(r2, "points.earned")] == [(20, 30)]
    r3 = review(send, "R3", photos=False)
    assert earned(r3) == [] and len(effects(r3, "points.capped")) == 1
    assert balances(member) == (50, 0, 0, 50)
    # 11 March: the day's cap again
    clock.advance(dt.timedelta(days=1))
    assert earned(review(send, "R4")) == [30]
    assert earned(review(send, "R5")) == [20]
    assert earned(review(send, "R6", photos=False)) == []
    # 12 March: 20 left of the month, less than the day's 50
    clock.advance(dt.timedelta(days=1))
    assert earned(review(send, "R7")) == [20]
    assert earned(review(send, "R8", photos=False)) == []
    assert balances(member) == (120, 0, 0, 120)
    # April: a new month and a new day
    clock.freeze(dt.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI))
    assert earned(review(send, "R9")) == [30]
    assert balances(member) == (150, 0, 0, 150)
    assert LedgerEntry.objects.count() == 6  # a capped-out review writes no entry


# --- check-ins -----------------------------------------------------------


def test_checkin_caps_with_streak_bonus(shop, member):
    make_rule(
        shop,
        "checkin",
        points=10,
        streak_bonuses={"3": 50, "7": 30},
        daily_cap=40,
        monthly_cap=72,
    )
    clock.freeze(dt.datetime(2026, 3, 26, 12, 0, tzinfo=SHANGHAI))
    days = []
    for _ in range(7):  # 26 March .. 1 April
        days.append(checkin_record(member=member))
        clock.advance(dt.timedelta(days=1))
    assert [(d["day"], d["streak"], d["points"]) for d in days] == [
        ("2026-03-26", 1, 10),
        ("2026-03-27", 2, 10),
        ("2026-03-28", 3, 40),  # 10 + 50 streak bonus, cut to the daily 40
        ("2026-03-29", 4, 10),
        ("2026-03-30", 5, 2),  # 2 left of the monthly 72
        ("2026-03-31", 6, 0),  # the month is full; the streak still counts
        ("2026-04-01", 7, 40),  # a new month: 10 + 30, exactly the daily cap
    ]
    assert [e.get("capped_from") for d in days for e in effects(d, "points.earned")] == [
        None,
        None,
        60,
        None,
        10,
        None,
    ]
    assert len(effects(days[5], "points.capped")) == 1
    assert list(CheckIn.objects.order_by("day").values_list("points", flat=True)) == [
        10,
        10,
        40,
        10,
        2,
        0,
        40,
    ]
    assert balances(member) == (112, 0, 0, 112)


# --- custom events -------------------------------------------------------


def test_custom_event_caps_reset_at_shop_midnight_and_month(shop, member, send, t0):
    make_rule(shop, "custom.quiz_done", points=7, daily_cap=20, monthly_cap=45)
    other = Member.objects.create(
        shop=shop, external_id="M2", registered_at=t0, created_at=t0, updated_at=t0
    )
    # 10 March, 18:00 in Shanghai: 7, 7, the 6 left, then nothing
    got = [earned(send("custom.quiz_done")) for _ in range(4)]
    assert got == [[7], [7], [6], []]
    # Caps are per member: another member still earns in full
    assert earned(send("custom.quiz_done", "M2")) == [7]
    # 23:59:59 in Shanghai is still 10 March
    clock.freeze(dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=SHANGHAI))
    assert earned(send("custom.quiz_done")) == []
    # Midnight in Shanghai (16:00 UTC, same UTC date) starts 11 March
    clock.freeze(dt.datetime(2026, 3, 11, 0, 0, tzinfo=SHANGHAI))
    assert [earned(send("custom.quiz_done")) for _ in range(4)] == [[7], [7], [6], []]
    # 12 March: only 5 left of the month's 45
    clock.advance(dt.timedelta(days=1))
    assert [earned(send("custom.quiz_done")) for _ in range(2)] == [[5], []]
    assert balances(member) == (45, 0, 0, 45)
    clock.freeze(dt.datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI))
    assert earned(send("custom.quiz_done")) == [7]
    assert balances(member) == (52, 0, 0, 52)
    assert balances(other) == (7, 0, 0, 7)


def test_caps_count_the_day_and_month_an_action_happened_not_its_arrival(shop, member, send, t0):
    """A till sending yesterday's quizzes: they count against yesterday's cap,
    and today's own cap is untouched by them."""
    make_rule(shop, "custom.quiz_done", points=7, daily_cap=20, monthly_cap=30)
    yesterday = dt.datetime(2026, 3, 9, 15, 0, tzinfo=SHANGHAI)
    late = [earned(send("custom.quiz_done", at=yesterday)) for _ in range(4)]
    assert late == [[7], [7], [6], []]
    # Today (10 March, 18:00) has its own day; the month has 10 left
    assert [earned(send("custom.quiz_done")) for _ in range(3)] == [[7], [3], []]
    # A quiz from February counts in February's month
    assert earned(send("custom.quiz_done", at=dt.datetime(2026, 2, 27, 9, tzinfo=SHANGHAI))) == [7]
    assert balances(member) == (37, 0, 0, 37)


# --- preview -------------------------------------------------------------


PREVIEW_LINES = [
    {"line_id": "L1", "sku": "A", "quantity": 3, "unit_price": 2000},
    {"line_id": "L2", "sku": "B", "quantity": 1, "unit_price": 4000},
]


def preview(api, member: str | None):
    body = {"lines": PREVIEW_LINES, "paid_amount": 10000}
    if member:
        body["member"] = member
    response = api.post("/api/v1/points/preview", body)
    assert response.status_code == 200, response.json()
    return response.json()


def test_preview_for_a_partly_capped_member_says_what_is_left(api, shop, member, program, send, t0):
    rule = make_rule(shop, name="Base", points_per_yuan=1, daily_cap=150)
    Member.objects.create(
        shop=shop, external_id="M2", registered_at=t0, created_at=t0, updated_at=t0
    )
    send.paid("O1", [("A", 1, 10000)])  # 100 of M1's 150 today
    entries, lots = LedgerEntry.objects.count(), PointsLot.objects.count()
    body = preview(api, "M1")
    assert body["points"] == 50
    assert [{k: v for k, v in r.items() if k != "lines"} for r in body["rules"]] == [
        {
            "rule_id": rule.pk,
            "rule": "Base",
            "rule_version": 1,
            "points": 50,
            "multipliers": {},
            "capped_from": 100,
        }
    ]
    # Another member, or no member: nothing used, so the cap takes nothing off
    for who in ("M2", None):
        other = preview(api, who)
        assert (other["points"], other["rules"][0]["capped_from"]) == (100, None)
    assert (LedgerEntry.objects.count(), PointsLot.objects.count()) == (entries, lots)
    # Paying that order earns what the preview said
    assert earned(send.paid("O2", [("A", 3, 2000), ("B", 1, 4000)])) == [50]
    assert balances(member) == (0, 150, 0, 150)
    # With the cap full the preview says 0, still naming the capped rule
    full = preview(api, "M1")
    assert full["points"] == 0
    assert (full["rules"][0]["points"], full["rules"][0]["capped_from"]) == (0, 100)


def test_preview_lines_of_a_capped_rule_are_the_order_attribution(api, shop, member, program, send):
    """The preview and the ledger share one calculation (earning.py), so the
    lines the preview shows must be what the order will attribute to them."""
    make_rule(shop, name="Base", points_per_yuan=1, daily_cap=150)
    send.paid("O1", [("A", 1, 10000)])  # 100 of today's 150
    rule = preview(api, "M1")["rules"][0]
    # The capped 50 split 60:40 like the uncapped 100, adding up to the 50
    assert rule["lines"] == {"L1": 30, "L2": 20}
    send.paid("O2", [("A", 3, 2000), ("B", 1, 4000)])
    assert {k: p for k, (p, _) in lines_of("O2").items()} == rule["lines"]
