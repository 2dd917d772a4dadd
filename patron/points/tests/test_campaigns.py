"""Campaign multipliers (a holiday window on a rule), the member day in short
months, a rule's end date, and points for every N yuan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.points.models import LedgerEntry, LineEarning
from patron.points.reasons import render_reason
from patron.points.tests.conftest import effects, make_rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DOUBLE_11: dict[str, Any] = {
    "campaign_name": "双11",
    "campaign_starts_at": dt.datetime(2026, 11, 1, tzinfo=SHANGHAI),
    "campaign_ends_at": dt.datetime(2026, 11, 12, tzinfo=SHANGHAI),
    "campaign_multiplier": 300,
}


def earned(result):
    return [e["points"] for e in effects(result, "points.earned")]


def test_campaign_multiplies_the_rule_inside_its_window_only(shop, member, send):
    shoes = {"shoes": 200}
    make_rule(shop, name="Base", points_per_yuan=1, category_multipliers=shoes, **DOUBLE_11)
    clock.freeze(dt.datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI))
    assert earned(send.paid("O1", [("A", 1, 10000)])) == [100]
    clock.freeze(dt.datetime(2026, 11, 1, 0, 0, tzinfo=SHANGHAI))
    # ¥100 of goods ×3, and ¥50 of shoes ×2 ×3 -> 300 + 300
    result = send.paid("O2", [("A", 1, 10000), ("S", 1, 5000, "shoes")])
    assert earned(result) == [600]
    assert effects(result, "points.earned")[0]["multipliers"] == {"campaign": 300}
    entry = LedgerEntry.objects.get(order__external_id="O2")
    assert render_reason(entry.reason_code, entry.reason_params, "en") == (
        "Points for order O2 (Base), 双11"
    )
    zh = render_reason(entry.reason_code, entry.reason_params)
    assert zh == "订单 O2 消费得积分（Base），双11活动"
    clock.freeze(dt.datetime(2026, 11, 12, 0, 0, tzinfo=SHANGHAI))  # the end is exclusive
    assert earned(send.paid("O3", [("A", 1, 10000)])) == [100]


def test_campaign_and_member_day_multiply_together(shop, member, send):
    make_rule(
        shop, points_per_yuan=1, member_day_of_month=11, member_day_multiplier=200, **DOUBLE_11
    )
    clock.freeze(dt.datetime(2026, 11, 11, 12, 0, tzinfo=SHANGHAI))
    result = send.paid("O1", [("A", 1, 999)])  # ¥9.99 ×2 ×3 = 59.94 -> 59
    assert earned(result) == [59]
    assert effects(result, "points.earned")[0]["multipliers"] == {
        "member_day": 200,
        "campaign": 300,
    }


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"campaign_multiplier": 300}, "campaign_starts_at"),
        ({**DOUBLE_11, "campaign_ends_at": None}, "campaign_ends_at"),
        ({**DOUBLE_11, "campaign_ends_at": DOUBLE_11["campaign_starts_at"]}, "campaign_ends_at"),
        ({**DOUBLE_11, "campaign_multiplier": 10_001}, "campaign_multiplier"),
        ({**DOUBLE_11, "campaign_multiplier": -1}, "campaign_multiplier"),
        ({**DOUBLE_11, "campaign_name": "x" * 101}, "campaign_name"),
    ],
)
def test_campaign_settings_are_checked_when_saved(shop, fields, field):
    from patron.rules.models import EarningRule

    with pytest.raises(PatronError) as caught:
        make_rule(shop, points_per_yuan=1, **fields)
    assert caught.value.field == field
    assert not EarningRule.objects.exists()


@pytest.mark.parametrize(
    ("day", "when", "points"),
    [
        (31, dt.datetime(2026, 2, 28, 12, 0, tzinfo=SHANGHAI), 200),  # February's last day
        (31, dt.datetime(2026, 4, 30, 12, 0, tzinfo=SHANGHAI), 200),  # a 30-day month
        (31, dt.datetime(2026, 3, 30, 12, 0, tzinfo=SHANGHAI), 100),  # March has its 31st
        (31, dt.datetime(2026, 3, 31, 12, 0, tzinfo=SHANGHAI), 200),
        (29, dt.datetime(2028, 2, 29, 12, 0, tzinfo=SHANGHAI), 200),  # leap year: the 29th
        (29, dt.datetime(2028, 2, 28, 12, 0, tzinfo=SHANGHAI), 100),
        (30, dt.datetime(2027, 2, 28, 12, 0, tzinfo=SHANGHAI), 200),
    ],
)
def test_member_day_late_in_the_month_falls_on_a_short_months_last_day(
    shop, member, send, day, when, points
):
    make_rule(shop, points_per_yuan=1, member_day_of_month=day, member_day_multiplier=200)
    clock.freeze(when)
    assert earned(send.paid("O1", [("A", 1, 10000)])) == [points]


def test_rule_stops_at_its_end(shop, member, send):
    ends = dt.datetime(2026, 6, 1, tzinfo=SHANGHAI)
    make_rule(shop, points_per_yuan=1, ends_at=ends)
    clock.freeze(ends - dt.timedelta(seconds=1))
    assert earned(send.paid("O1", [("A", 1, 10000)])) == [100]
    clock.freeze(ends)
    assert earned(send.paid("O2", [("A", 1, 10000)])) == []
    assert LedgerEntry.objects.count() == 1


def test_one_point_for_every_ten_yuan(shop, member, send):
    make_rule(shop, points_per_yuan=1, spend_step_yuan=10, category_multipliers={"shoes": 200})
    assert earned(send.paid("O1", [("A", 1, 9999)])) == [9]  # ¥99.99 -> 9.999 -> 9
    # ¥60 of goods -> 6, ¥40 of shoes ×2 -> 8: 14, split 6/8 over the lines
    result = send.paid("O2", [("A", 1, 6000), ("S", 1, 4000, "shoes")])
    assert earned(result) == [14]
    lines = LineEarning.objects.filter(lot__order__external_id="O2").order_by("line__line_id")
    assert [(e.line.line_id, e.points) for e in lines] == [("L1", 6), ("L2", 8)]
    with pytest.raises(PatronError) as caught:
        make_rule(shop, name="bad", points_per_yuan=1, spend_step_yuan=0)
    assert caught.value.field == "spend_step_yuan"
