"""seed-demo gives demo members growth values and the tiers those values reach."""

from __future__ import annotations

import pytest

from patron.core import clock
from patron.demo.data import demo_seed
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import GrowthMonth, MemberTier

pytestmark = pytest.mark.django_db


def test_demo_members_get_growth_and_tiers_from_their_orders() -> None:
    ctx = demo_seed(members=80, orders=800, seed=11)
    assert ctx.shop is not None
    program = selectors.tier_program_get(ctx.shop)
    tiers = selectors.active_tiers(ctx.shop)
    today = clock.today()

    reached = {}
    for member in Member.objects.filter(shop=ctx.shop):
        value = selectors.growth_value(member, program, today)
        reached[member.pk] = [t for t in tiers if t.entry_threshold <= value][-1].code

    assert GrowthMonth.objects.filter(shop=ctx.shop).exists()
    assert MemberTier.objects.filter(shop=ctx.shop).exists()
    assert {
        pk: selectors.member_tier_code(m)
        for pk, m in ((m.pk, m) for m in Member.objects.filter(shop=ctx.shop))
    } == reached
    assert ctx.summary["tiered_members"] == MemberTier.objects.filter(shop=ctx.shop).count()
