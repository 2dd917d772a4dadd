"""A refund or cancellation takes back, at once, an upgrade the same order
caused and no longer earns; never below the tier the member had before that
upgrade, and never an upgrade another order caused."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import MemberTier, TierChange, TierProgram
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.tests.conftest import Sender, effects_of, move_to

pytestmark = pytest.mark.django_db


def state(member: Member) -> tuple[str, dt.date | None, dt.date | None]:
    s = MemberTier.objects.select_related("tier").get(member=member)
    return s.tier.code, s.protected_until, s.grace_until


def history(member: Member) -> list[tuple[str, str | None, str, int, int, str]]:
    return [
        (c.cause, c.from_tier.code if c.from_tier else None, c.to_tier.code, c.value, c.threshold,
         c.event_id)
        for c in TierChange.objects.filter(member=member).order_by("at", "id")
    ]  # fmt: skip


def test_cancelling_the_order_that_upgraded_takes_the_upgrade_back_at_once(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    # given a member made diamond by order A (20,010)
    paid = send.pay("A", 2000000)
    assert state(member) == ("diamond", dt.date(2026, 2, 28), None)
    # when A is cancelled at once
    cancelled = send("order.cancelled", {"order_id": "A"})
    # then they are back in the lowest tier now, without protection
    assert selectors.growth_value(member, program) == 0
    assert state(member) == ("normal", None, None)
    assert history(member) == [
        ("event", "normal", "diamond", 20010, 20000, paid["id"]),
        ("upgrade_reversed", "diamond", "normal", 0, 20000, cancelled["id"]),
    ]
    change = TierChange.objects.get(cause="upgrade_reversed")
    assert change.direction == -1
    assert change.note == f"order A cancelled: upgrade by event {paid['id']} no longer earned"
    assert effects_of(cancelled, "tier.upgrade_reversed") == [
        {
            "type": "tier.upgrade_reversed",
            "member": "M1",
            "from": "diamond",
            "to": "normal",
            "value": 0,
            "threshold": 20000,
            "measure": "growth",
            "order": "A",
            "upgrade_event": paid["id"],
            "protected_until": None,
        }
    ]
    assert selectors.member_tier_code(member) == "normal"
    # and the period job has nothing left to do
    move_to(dt.date(2026, 2, 1))
    run = tiers_evaluate_period(shop=shop)
    assert run is not None
    assert {k: v for k, v in run.counts.items() if v and k != "considered"} == {}


def test_refunds_step_down_to_what_is_left_but_never_below_the_tier_before(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    # given silver from order A on 10 January (protected to the end of February) ...
    send.pay("A", 100000)  # 1010
    assert state(member) == ("silver", dt.date(2026, 2, 28), None)
    # ... and diamond from order B on 15 February (protected to the end of March)
    move_to(dt.date(2026, 2, 15), hour=12)
    paid = send.pay("B", 1500000, 500000)  # 20010 more: 21020
    assert state(member) == ("diamond", dt.date(2026, 3, 31), None)
    # A refunded in full: diamond came from B, nothing moves
    send.refund("A", "RA")
    assert selectors.growth_value(member, program) == 20010
    assert state(member)[0] == "diamond"

    # when B's first line is refunded: 5010 left, gold (above silver) keeps B's protection
    first = send.refund("B", "RB1", lines=["L1"])
    assert selectors.growth_value(member, program) == 5010
    assert state(member) == ("gold", dt.date(2026, 3, 31), None)
    # and when the rest of B goes: 0 left, but not below silver, the tier
    # before B's upgrade, with the protection silver's own upgrade gave
    rest = send.refund("B", "RB2", lines=["L2"])
    assert selectors.growth_value(member, program) == 0
    assert state(member) == ("silver", dt.date(2026, 2, 28), None)
    assert history(member)[1:] == [
        ("event", "silver", "diamond", 21020, 20000, paid["id"]),
        ("upgrade_reversed", "diamond", "gold", 5010, 20000, first["id"]),
        ("upgrade_reversed", "gold", "silver", 0, 5000, rest["id"]),
    ]
    # the period job takes it from there: protection over, grace starts
    move_to(dt.date(2026, 3, 1))
    run = tiers_evaluate_period(shop=shop)
    assert run is not None
    assert run.counts["grace_started"] == 1


def test_an_upgrade_another_order_caused_is_untouched(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("A", 1950000)  # 19510: gold
    send.pay("B", 50000)  # 20020: diamond, caused by B
    result = send("order.cancelled", {"order_id": "A"})
    assert selectors.growth_value(member, program) == 510
    assert effects_of(result, "tier.upgrade_reversed") == []
    assert state(member) == ("diamond", dt.date(2026, 2, 28), None)
    assert not TierChange.objects.filter(cause="upgrade_reversed").exists()


def test_a_later_upgrade_by_another_order_is_not_reversed(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    # given gold from A, then diamond from B
    send.pay("A", 500000)  # 5010: gold
    send.pay("B", 1500000)  # 20020: diamond
    # when A is cancelled, the current tier (from B) stays
    send("order.cancelled", {"order_id": "A"})
    assert selectors.growth_value(member, program) == 15010
    assert state(member)[0] == "diamond"
    assert not TierChange.objects.filter(cause="upgrade_reversed").exists()
