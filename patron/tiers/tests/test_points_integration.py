"""The points engine reads the member's tier and its earn multiplier from tiers."""

from __future__ import annotations

import pytest

from patron.core.models import Shop
from patron.members.models import Member
from patron.points.earning_rules import member_tier_code
from patron.points.models import PointsAccount, PointsProgram
from patron.rules import services as rule_services
from patron.tiers.models import TierProgram
from patron.tiers.tests.conftest import Sender

pytestmark = pytest.mark.django_db


def test_order_points_use_the_tier_earn_multiplier(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    PointsProgram.objects.create(shop=shop)
    rule_services.rule_create(
        shop=shop, name="1 per yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    send.pay("O1", 100000)  # earns at normal (100%), then upgrades to silver
    assert member_tier_code(member) == "silver"

    send.pay("O2", 10000)  # silver: 120%

    assert PointsAccount.objects.get(member=member).lifetime_earned == 1000 + 120


def test_a_rule_naming_the_tier_wins_over_the_benefit(
    shop: Shop, program: TierProgram, member: Member, send: Sender
) -> None:
    PointsProgram.objects.create(shop=shop)
    rule_services.rule_create(
        shop=shop,
        name="silver double",
        trigger="order.paid",
        fields={"points_per_yuan": 1, "tier_multipliers": {"silver": 200}},
    )
    send.pay("O1", 100000)

    send.pay("O2", 10000)

    assert PointsAccount.objects.get(member=member).lifetime_earned == 1000 + 200
