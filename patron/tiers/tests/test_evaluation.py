"""The end-of-period job: protection after an upgrade, grace, downgrade modes,
the rolling window, catch-up upgrades; on a moved clock."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import MemberTier, Tier, TierChange, TierJobRun, TierProgram
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.tests.conftest import Sender, move_to, set_program

pytestmark = pytest.mark.django_db


def state(member: Member) -> tuple[str, dt.date | None, dt.date | None]:
    s = MemberTier.objects.select_related("tier").get(member=member)
    return s.tier.code, s.protected_until, s.grace_until


def evaluate(shop: Shop, on: dt.date) -> dict[str, int]:
    """Run the job the day after ``on`` (the period end it evaluates)."""
    move_to(on + dt.timedelta(days=1))
    run = tiers_evaluate_period(shop=shop)
    assert run is not None
    assert run.key_date == on
    return {k: v for k, v in run.counts.items() if v and k != "considered"}


def test_protection_then_grace_then_one_tier_down(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    """Protection, grace, then one tier down, for a member whose value fell
    after an upgrade another order caused.

    The refunded order A lifted the member to silver only; gold came from
    order B, which stands, so gold is kept through protection and grace. (Had
    the refund been of the order that caused the gold upgrade, the upgrade
    would be taken back at once: ``test_upgrade_reversal.py``.)"""
    # given gold on 10 January (protected to the end of February) ...
    send.pay("A", 400000)  # 4010
    send.pay("B", 100000)  # 1010 -> 5020: gold
    assert state(member) == ("gold", dt.date(2026, 2, 28), None)
    # ... and a refund on 20 January that leaves 1010 (below gold's 4000)
    move_to(dt.date(2026, 1, 20), hour=12)
    send.refund("A", "R1")
    assert selectors.growth_value(member, program) == 1010
    assert not TierChange.objects.filter(cause="upgrade_reversed").exists()

    # end of January: protected, nothing happens
    assert evaluate(shop, dt.date(2026, 1, 31)) == {}
    assert state(member) == ("gold", dt.date(2026, 2, 28), None)
    # end of February: protection over -> one period of grace
    assert evaluate(shop, dt.date(2026, 2, 28)) == {"grace_started": 1}
    assert state(member) == ("gold", dt.date(2026, 2, 28), dt.date(2026, 3, 31))
    assert selectors.member_tier_status(member)["retention"]["at_risk"] is True
    # the same period is evaluated once only
    assert tiers_evaluate_period(shop=shop) is None
    # end of March: still below -> drop one tier, to silver
    assert evaluate(shop, dt.date(2026, 3, 31)) == {"downgraded": 1}
    assert state(member)[0] == "silver"
    change = TierChange.objects.filter(cause="period_evaluation").get()
    assert change.from_tier is not None
    assert (change.from_tier.code, change.to_tier.code, change.value, change.threshold) == (
        "gold",
        "silver",
        1010,
        4000,
    )
    assert change.run == TierJobRun.objects.get(key_date=dt.date(2026, 3, 31))
    # end of April: 1010 keeps silver (retention 800)
    assert evaluate(shop, dt.date(2026, 4, 30)) == {}
    assert state(member) == ("silver", dt.date(2026, 2, 28), None)


def test_drop_to_the_tier_the_value_supports_without_grace(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    """Order B, not the refunded A, caused the diamond upgrade, so it stands
    until the job (a refund of the upgrading order reverses it at once)."""
    set_program(program, downgrade_mode="to_supported", grace_periods=0)
    send.pay("A", 1950000)  # 19510: gold
    send.pay("B", 50000)  # 510 more, 20020: diamond, caused by B
    assert state(member)[0] == "diamond"
    send.refund("A", "R1")
    assert selectors.growth_value(member, program) == 510

    assert evaluate(shop, dt.date(2026, 1, 31)) == {}  # protected
    assert evaluate(shop, dt.date(2026, 2, 28)) == {"downgraded": 1}

    assert state(member)[0] == "normal"  # 510 < silver's retention 800


def test_recovering_during_grace_keeps_the_tier(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    """Silver came from order B; refunding A (which upgraded nobody) leaves
    110, below silver's retention, so silver is kept into grace."""
    send.pay("A", 90000)  # 910: normal
    send.pay("B", 10000)  # 110 more, 1020: silver, caused by B
    send.refund("A", "R1")  # 110
    assert evaluate(shop, dt.date(2026, 1, 31)) == {}
    assert evaluate(shop, dt.date(2026, 2, 28)) == {"grace_started": 1}

    move_to(dt.date(2026, 3, 15), hour=12)
    send.pay("C", 90000)  # 110 + 910 = 1020 >= 800

    assert evaluate(shop, dt.date(2026, 3, 31)) == {"recovered": 1}
    assert state(member) == ("silver", dt.date(2026, 2, 28), None)


def test_growth_leaves_the_rolling_window(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("A", 100000)  # January 2026: silver
    # December 2026: the January order is still in the 12-month window
    assert evaluate(shop, dt.date(2026, 12, 31)) == {}
    assert selectors.growth_value(member, program, dt.date(2026, 12, 31)) == 1010
    # January 2027: it has left the window
    assert evaluate(shop, dt.date(2027, 1, 31)) == {"grace_started": 1}
    assert selectors.growth_value(member, program, dt.date(2027, 1, 31)) == 0
    assert evaluate(shop, dt.date(2027, 2, 28)) == {"downgraded": 1}
    assert state(member)[0] == "normal"


def test_quarterly_period_protects_to_the_end_of_the_next_quarter(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    """Silver came from order B; the refund of A leaves it to the job."""
    set_program(program, period="quarter")
    send.pay("A", 90000)  # 910: normal
    send.pay("B", 10000)  # 1020: silver, caused by B
    send.refund("A", "R1")  # 110
    assert state(member) == ("silver", dt.date(2026, 6, 30), None)

    assert evaluate(shop, dt.date(2026, 3, 31)) == {}
    assert evaluate(shop, dt.date(2026, 6, 30)) == {"grace_started": 1}
    assert state(member)[2] == dt.date(2026, 9, 30)
    assert evaluate(shop, dt.date(2026, 9, 30)) == {"downgraded": 1}


def test_catch_up_upgrade_when_thresholds_are_lowered(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("A", 300000)  # 3010: silver
    Tier.objects.filter(shop=shop, code="gold").update(
        entry_threshold=3000, retention_threshold=2500
    )

    assert evaluate(shop, dt.date(2026, 1, 31)) == {"upgraded": 1}

    assert state(member) == ("gold", dt.date(2026, 3, 31), None)
    assert TierChange.objects.filter(cause="period_evaluation", to_tier__code="gold").count() == 1


def test_members_never_upgraded_cost_no_rows(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("A", 50000)  # 510: normal

    assert evaluate(shop, dt.date(2026, 1, 31)) == {}
    assert not MemberTier.objects.exists()
    assert selectors.member_tier_code(member) == "normal"
    assert clock.today() == dt.date(2026, 2, 1)
