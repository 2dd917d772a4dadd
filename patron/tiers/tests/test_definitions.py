"""Operators rename, add, reorder and retire tiers, and choose what qualifies:
every change checked against the whole ladder, audited, and in force for the
next event."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.points.models import PointsAccount, PointsProgram
from patron.rules import services as rule_services
from patron.tiers import selectors
from patron.tiers.models import MemberTier, QualifyingMeasure, Tier, TierChange, TierProgram
from patron.tiers.services.definitions import (
    program_update,
    tier_retire,
    tier_save,
    tiers_reorder,
)
from patron.tiers.tests.conftest import Sender, effects_of

pytestmark = pytest.mark.django_db


def _tier(shop: Shop, code: str) -> Tier:
    return Tier.objects.get(shop=shop, code=code)


def _codes(shop: Shop) -> list[str]:
    return [t["code"] for t in selectors.tier_list(shop)]


def test_a_renamed_tier_is_audited_and_listed_under_its_new_name(
    shop: Shop, program: TierProgram, operators: tuple[User, User]
) -> None:
    gold = _tier(shop, "gold")
    gold.name, gold.name_en = "黄金会员", "Golden"
    tier_save(tier=gold, actor=operators[0])
    listed = {t["code"]: (t["name"], t["name_en"]) for t in selectors.tier_list(shop)}
    assert listed["gold"] == ("黄金会员", "Golden")
    log = AuditLog.objects.get(action="tier.change")
    assert log.before is not None and log.after is not None
    assert (log.before["name"], log.after["name"]) == ("金牌会员", "黄金会员")
    assert log.actor == operators[0]


def test_a_tier_added_between_two_takes_the_members_who_reach_it(
    shop: Shop, program: TierProgram, member: Member, send: Sender, operators: tuple[User, User]
) -> None:
    platinum = Tier(
        shop=shop,
        code="platinum",
        name="铂金会员",
        name_en="Platinum",
        rank=35,
        entry_threshold=10000,
        retention_threshold=8000,
    )
    tier_save(tier=platinum, actor=operators[0], benefits={"earn_multiplier_percent": 180})
    assert _codes(shop) == ["normal", "silver", "gold", "platinum", "diamond"]
    # ¥12,000 paid: growth 12,000 + 10 for the order, past Gold, short of Diamond
    upgraded = effects_of(send.pay("O1", 1_200_000), "tier.upgraded")
    assert [(e["from"], e["to"], e["value"], e["threshold"]) for e in upgraded] == [
        ("normal", "platinum", 12010, 10000)
    ]
    benefits = selectors.member_benefits(member)
    assert benefits is not None and benefits.earn_multiplier_percent == 180


@pytest.mark.parametrize(
    ("rank", "entry", "retention", "field"),
    [
        (35, 4000, 3000, "entry_threshold"),  # above Gold but easier to enter
        (35, 10000, 3000, "retention_threshold"),  # easier to keep than Gold
        (35, 10000, 12000, "retention_threshold"),  # harder to keep than to enter
        (30, 10000, 8000, "rank"),  # Gold's rank
    ],
)
def test_a_ladder_that_does_not_rise_is_refused_and_nothing_is_saved(
    shop: Shop,
    program: TierProgram,
    operators: tuple[User, User],
    rank: int,
    entry: int,
    retention: int,
    field: str,
) -> None:
    bad = Tier(
        shop=shop,
        code="platinum",
        name="铂金会员",
        rank=rank,
        entry_threshold=entry,
        retention_threshold=retention,
    )
    with pytest.raises(PatronError) as exc:
        tier_save(tier=bad, actor=operators[0])
    assert exc.value.field == field
    assert Tier.objects.filter(shop=shop).count() == 4
    assert not AuditLog.objects.filter(action="tier.create").exists()


def test_the_lowest_tier_must_be_open_to_everyone(
    shop: Shop, program: TierProgram, operators: tuple[User, User]
) -> None:
    normal = _tier(shop, "normal")
    normal.entry_threshold = 1
    with pytest.raises(PatronError) as exc:
        tier_save(tier=normal, actor=operators[0])
    assert exc.value.field == "entry_threshold"
    assert _tier(shop, "normal").entry_threshold == 0


def test_reorder_follows_the_thresholds_or_is_refused(
    shop: Shop, program: TierProgram, operators: tuple[User, User]
) -> None:
    before = {t.code: t.rank for t in Tier.objects.filter(shop=shop)}
    with pytest.raises(PatronError) as exc:
        tiers_reorder(shop=shop, codes=["normal", "gold", "silver", "diamond"], actor=None)
    assert exc.value.field == "entry_threshold"
    with pytest.raises(PatronError) as exc:
        tiers_reorder(shop=shop, codes=["normal", "silver", "gold", "ruby"], actor=None)
    assert exc.value.field == "codes"
    assert {t.code: t.rank for t in Tier.objects.filter(shop=shop)} == before
    # A tier added with a rank of its own slots in; reorder then spaces them evenly
    tier_save(
        tier=Tier(
            shop=shop,
            code="platinum",
            name="铂金会员",
            rank=31,
            entry_threshold=10000,
            retention_threshold=8000,
        ),
        actor=operators[0],
    )
    codes = ["normal", "silver", "gold", "platinum", "diamond"]
    tiers_reorder(shop=shop, codes=codes, actor=operators[0])
    assert [(t.code, t.rank) for t in Tier.objects.filter(shop=shop).order_by("rank")] == [
        (c, (i + 1) * 10) for i, c in enumerate(codes)
    ]
    assert AuditLog.objects.filter(action="tier.reorder").count() == 1


def test_retiring_a_tier_moves_its_members_down_with_the_reason(
    shop: Shop, program: TierProgram, member: Member, send: Sender, operators: tuple[User, User]
) -> None:
    send.pay("O1", 600_000)  # growth 6,010: Gold
    assert MemberTier.objects.get(member=member).tier.code == "gold"
    with pytest.raises(PatronError) as exc:
        tier_retire(tier=_tier(shop, "gold"), actor=operators[0], reason=" ")
    assert exc.value.field == "reason"

    moved = tier_retire(tier=_tier(shop, "gold"), actor=operators[0], reason="merged into Silver")

    assert moved == 1
    assert MemberTier.objects.get(member=member).tier.code == "silver"
    change = TierChange.objects.filter(member=member).latest("pk")
    assert change.from_tier is not None
    assert (change.from_tier.code, change.to_tier.code, change.cause, change.note) == (
        "gold",
        "silver",
        "tier_retired",
        "merged into Silver",
    )
    assert _codes(shop) == ["normal", "silver", "diamond"]
    # and the next order does not climb back into the retired tier
    assert effects_of(send.pay("O2", 100), "tier.upgraded") == []
    assert MemberTier.objects.get(member=member).tier.code == "silver"


def test_lifetime_points_qualify_when_the_operator_chooses_them(
    shop: Shop, program: TierProgram, member: Member, send: Sender, operators: tuple[User, User]
) -> None:
    PointsProgram.objects.create(shop=shop)
    rule_services.rule_create(
        shop=shop, name="10 per yuan", trigger="order.paid", fields={"points_per_yuan": 10}
    )
    program_update(
        program=program, actor=operators[0], qualifying_measure=QualifyingMeasure.LIFETIME_POINTS
    )
    # ¥600 paid: growth 610 (Normal by growth), 6,000 points earned (Gold by points)
    upgraded = effects_of(send.pay("O1", 60_000), "tier.upgraded")
    assert [(e["to"], e["measure"], e["value"]) for e in upgraded] == [
        ("gold", "lifetime_points", 6000)
    ]
    assert PointsAccount.objects.get(member=member).lifetime_earned == 6000
    with pytest.raises(PatronError) as exc:
        program_update(program=program, actor=operators[0], colour="red")
    assert exc.value.field == "colour"
