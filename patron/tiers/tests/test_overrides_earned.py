"""Removing an override returns the member to the tier they earned; approving
re-checks that the requested tier is still active."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import (
    MemberTier,
    OverrideStatus,
    Tier,
    TierChange,
    TierOverride,
    TierProgram,
)
from patron.tiers.services import overrides
from patron.tiers.services.definitions import tier_retire
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.tests.conftest import Sender, move_to

pytestmark = pytest.mark.django_db


def tier_of(member: Member) -> str:
    return MemberTier.objects.select_related("tier").get(member=member).tier.code


def overridden(shop: Shop, member: Member, code: str, operators: tuple[User, User]) -> TierOverride:
    alice, bob = operators
    o = overrides.override_request(
        member=member, tier=Tier.objects.get(shop=shop, code=code), reason="vip", actor=alice
    )
    overrides.override_approve(override=o, actor=bob)
    assert tier_of(member) == code
    return o


def test_removal_returns_a_member_above_retention_to_the_tier_they_earned(
    shop: Shop,
    program: TierProgram,
    member: Member,
    send: Sender,
    operators: tuple[User, User],
) -> None:
    # given a Gold member (entry 5,000) whose value fell to 4,020 (retention 4,000)
    # by a refund of an earlier order (not the one that upgraded them)
    send.pay("A", 300000, 100000)  # 4,010: silver
    send.pay("B", 100000)  # 5,020: gold
    send.refund("A", "R1", lines=["L2"])
    assert (tier_of(member), selectors.growth_value(member, program)) == ("gold", 4020)
    o = overridden(shop, member, "diamond", operators)

    # when the override is removed
    overrides.override_remove(override=o, actor=operators[0], reason="campaign over")

    # then they are Gold again, recorded as a tier change, not Silver
    s = MemberTier.objects.get(member=member)
    assert (s.tier.code, s.override_id, s.protected_until) == ("gold", None, dt.date(2026, 2, 28))
    removed = TierChange.objects.get(cause="override_removed")
    assert removed.from_tier is not None
    assert (
        removed.from_tier.code,
        removed.to_tier.code,
        removed.direction,
        removed.value,
        removed.threshold,
    ) == ("diamond", "gold", -1, 4020, 4000)
    audit = AuditLog.objects.get(action="tier_override.remove")
    assert audit.after is not None
    assert (audit.before, audit.after["tier_now"]) == ({"tier": "diamond"}, "gold")


def test_removal_below_retention_leaves_the_downgrade_to_the_period_job(
    shop: Shop,
    program: TierProgram,
    member: Member,
    send: Sender,
    operators: tuple[User, User],
) -> None:
    # given a Gold member (protected until 28 Feb) whose value fell to 1,010
    send.pay("A", 300000, 100000)  # 4,010: silver
    send.pay("B", 100000)  # 5,020: gold
    send.refund("A", "R1")
    assert (tier_of(member), selectors.growth_value(member, program)) == ("gold", 1010)
    o = overridden(shop, member, "diamond", operators)

    # when the override is removed
    overrides.override_remove(override=o, actor=operators[0], reason="done")

    # then they are back on Gold with the protection they had ...
    s = MemberTier.objects.get(member=member)
    assert (s.tier.code, s.protected_until, s.grace_until) == ("gold", dt.date(2026, 2, 28), None)
    # ... and the period job applies protection, grace and a one-tier downgrade
    seen = []
    for end in (dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)):
        move_to(end + dt.timedelta(days=1))
        tiers_evaluate_period(shop=shop)
        s = MemberTier.objects.get(member=member)
        seen.append((end, s.tier.code, s.grace_until))
    assert seen == [
        (dt.date(2026, 1, 31), "gold", None),
        (dt.date(2026, 2, 28), "gold", dt.date(2026, 3, 31)),
        (dt.date(2026, 3, 31), "silver", None),
    ]


def test_removal_upgrades_when_the_value_reached_a_higher_tier_meanwhile(
    shop: Shop,
    program: TierProgram,
    member: Member,
    send: Sender,
    operators: tuple[User, User],
) -> None:
    send.pay("A", 100000)  # 1,010: silver
    o = overridden(shop, member, "normal", operators)
    send.pay("B", 500000)  # 6,020: gold reached while pinned to normal
    assert tier_of(member) == "normal"

    overrides.override_remove(override=o, actor=operators[0], reason="done")

    s = MemberTier.objects.get(member=member)
    assert (s.tier.code, s.protected_until) == ("gold", dt.date(2026, 2, 28))
    removed = TierChange.objects.get(cause="override_removed")
    assert (removed.to_tier.code, removed.direction, removed.value, removed.threshold) == (
        "gold",
        1,
        6020,
        5000,
    )


def test_approving_an_override_to_a_retired_tier_is_refused_and_changes_nothing(
    shop: Shop, program: TierProgram, member: Member, operators: tuple[User, User]
) -> None:
    alice, bob = operators
    gold = Tier.objects.get(shop=shop, code="gold")
    o = overrides.override_request(member=member, tier=gold, reason="vip", actor=alice)
    tier_retire(tier=gold, actor=alice, reason="restructure")

    with pytest.raises(PatronError) as refused:
        overrides.override_approve(override=o, actor=bob)

    assert (refused.value.code, refused.value.status, refused.value.field) == (
        "inactive",
        409,
        "tier",
    )
    assert "'gold'" in refused.value.detail
    o.refresh_from_db()
    assert (o.status, o.decided_by) == (OverrideStatus.PENDING, None)
    assert not MemberTier.objects.exists()
    assert not TierChange.objects.exists()
    assert not AuditLog.objects.filter(action="tier_override.approve").exists()


def test_an_override_into_the_members_current_tier_is_refused(
    shop: Shop, member: Member, program: TierProgram, operators: tuple[User, User]
) -> None:
    alice, _ = operators
    here = selectors.current_tier(member)
    assert here is not None
    with pytest.raises(PatronError) as caught:
        overrides.override_request(member=member, tier=here, reason="vip", actor=alice)
    assert (caught.value.code, caught.value.field) == ("already_in_tier", "tier")
    assert not TierOverride.objects.filter(member=member).exists()
