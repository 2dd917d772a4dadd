"""Manual overrides: a second operator approves; they stick until removed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.tiers.models import MemberTier, OverrideStatus, Tier, TierChange, TierProgram
from patron.tiers.services import overrides
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.tests.conftest import Sender, move_to

pytestmark = pytest.mark.django_db


def test_override_needs_another_operator_sticks_and_can_be_removed(
    shop: Shop,
    program: TierProgram,
    member: Member,
    send: Sender,
    operators: tuple[User, User],
) -> None:
    alice, bob = operators
    gold = Tier.objects.get(shop=shop, code="gold")
    request = overrides.override_request(
        member=member, tier=gold, reason="VIP complaint compensation", actor=alice
    )

    with pytest.raises(PatronError) as refused:
        overrides.override_approve(override=request, actor=alice)
    assert refused.value.status == 403
    assert not MemberTier.objects.exists()

    overrides.override_approve(override=request, actor=bob)

    s = MemberTier.objects.get(member=member)
    assert (s.tier.code, s.override_id) == ("gold", request.pk)
    change = TierChange.objects.get()
    assert change.from_tier is not None
    assert (change.cause, change.from_tier.code, change.to_tier.code, change.actor) == (
        "override",
        "normal",
        "gold",
        bob,
    )
    # jobs skip the member although the value (0) supports nothing
    for end in (dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)):
        move_to(end + dt.timedelta(days=1))
        tiers_evaluate_period(shop=shop)
    # and events do not move them either
    send.pay("O1", 2500000)
    assert MemberTier.objects.get(member=member).tier.code == "gold"
    assert TierChange.objects.count() == 1

    overrides.override_remove(override=request, actor=alice, reason="compensation period over")

    s = MemberTier.objects.get(member=member)
    assert (s.tier.code, s.override_id) == ("diamond", None)  # the value reaches diamond
    assert TierChange.objects.filter(cause="override_removed").get().to_tier.code == "diamond"
    request.refresh_from_db()
    assert request.status == OverrideStatus.REMOVED
    assert list(
        AuditLog.objects.filter(object_type="tiers.tieroverride")
        .order_by("id")
        .values_list("action", "actor_label")
    ) == [
        ("tier_override.request", "alice"),
        ("tier_override.approve", "bob"),
        ("tier_override.remove", "alice"),
    ]


def test_removing_an_override_returns_the_member_to_what_they_earned(
    shop: Shop, program: TierProgram, member: Member, operators: tuple[User, User]
) -> None:
    alice, bob = operators
    diamond = Tier.objects.get(shop=shop, code="diamond")
    o = overrides.override_request(member=member, tier=diamond, reason="press", actor=alice)
    overrides.override_approve(override=o, actor=bob)

    overrides.override_remove(override=o, actor=bob, reason="done")

    assert MemberTier.objects.get(member=member).tier.code == "normal"


def test_reason_is_required_and_one_open_override_per_member(
    shop: Shop, program: TierProgram, member: Member, operators: tuple[User, User]
) -> None:
    alice, bob = operators
    gold = Tier.objects.get(shop=shop, code="gold")
    with pytest.raises(PatronError) as no_reason:
        overrides.override_request(member=member, tier=gold, reason="  ", actor=alice)
    assert no_reason.value.field == "reason"

    overrides.override_request(member=member, tier=gold, reason="one", actor=alice)
    with pytest.raises(PatronError) as second:
        overrides.override_request(member=member, tier=gold, reason="two", actor=bob)
    assert second.value.code == "override_open"


def test_rejected_override_changes_nothing(
    shop: Shop, program: TierProgram, member: Member, operators: tuple[User, User]
) -> None:
    alice, bob = operators
    o = overrides.override_request(
        member=member, tier=Tier.objects.get(shop=shop, code="gold"), reason="x", actor=alice
    )

    overrides.override_reject(override=o, actor=bob, note="not justified")

    assert not MemberTier.objects.exists()
    with pytest.raises(PatronError):
        overrides.override_approve(override=o, actor=bob)
