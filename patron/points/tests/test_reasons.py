"""Every reason an entry can carry reads as words, in both languages, wherever
history is shown (API, portal, console)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patron.points.reasons import REASON_CODES, render_reason

ROOT = Path(__file__).resolve().parents[2]
# Codes chosen at run time rather than written as reason_code="...".
PASSED_ALONG = {
    "order_refund",  # points.services.orders
    "order_cancel",
    "hold_released",  # promotions.services.holds, returning points used at checkout
    "hold_expired",
    "order_cancelled",
    "order_refunded",
    "action_earn",  # points.services.actions
    "signup",
    "profile_completed",
    "birthday",
}


def codes_written_in_the_code() -> set[str]:
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        found |= set(re.findall(r'reason_code="([a-z_]+)"', path.read_text()))
    return found


def test_every_reason_code_has_words():
    written = codes_written_in_the_code()
    assert {"order_earn", "checkout_hold", "reward_redeemed", "tier_birthday_gift"} <= written
    assert (written | PASSED_ALONG) - REASON_CODES == set()


@pytest.mark.parametrize("code", sorted(REASON_CODES))
def test_each_reason_reads_in_both_languages(code):
    params = {"order_id": "O1", "rule": "R", "note": "n", "reward": "杯子", "streak": 2}
    zh, en = render_reason(code, params), render_reason(code, params, "en")
    assert zh and en and code not in (zh, en)
    assert "{" not in zh + en
