"""Retiring a tier and deciding overrides: the services check the actor's
permission in the tier's shop themselves, and audit what they do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from patron.core import roles
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import AuditLog, Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.members.models import Member
from patron.tiers.models import OverrideStatus, Tier, TierOverride, TierProgram
from patron.tiers.services import overrides
from patron.tiers.services.definitions import tier_retire

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(shop: Shop) -> dict[str, User]:
    roles_sync()
    other = Shop.objects.create(name="Other Shop")
    return {
        "marketing": make_operator("mkt", roles.MARKETING, shop),
        "lead": make_operator("lead", roles.SERVICE_LEAD, shop),
        "analyst": make_operator("ana", roles.ANALYST, shop),
        "agent": make_operator("agent", roles.SERVICE_AGENT, shop),
        "lead_elsewhere": make_operator("lead-b", roles.SERVICE_LEAD, other),
        "marketing_elsewhere": make_operator("mkt-b", roles.MARKETING, other),
    }


def test_only_a_role_with_the_permission_in_the_shop_retires_a_tier(
    shop: Shop, program: TierProgram, member: Member, staff: dict[str, User]
) -> None:
    gold = Tier.objects.get(shop=shop, code="gold")
    for who in ("analyst", "agent", "lead", "marketing_elsewhere"):
        with pytest.raises(PatronError) as refused:
            tier_retire(tier=gold, actor=staff[who], reason="merge")
        assert refused.value.code == ErrorCode.FORBIDDEN, who
    assert Tier.objects.get(pk=gold.pk).is_active
    assert not AuditLog.objects.filter(action="tier.retire").exists()

    tier_retire(tier=gold, actor=staff["marketing"], reason="merge")

    assert not Tier.objects.get(pk=gold.pk).is_active
    entry = AuditLog.objects.get(action="tier.retire")
    assert (entry.actor, entry.shop_id) == (staff["marketing"], shop.pk)


def test_overrides_are_requested_and_decided_only_with_the_permissions(
    shop: Shop, program: TierProgram, member: Member, staff: dict[str, User]
) -> None:
    gold = Tier.objects.get(shop=shop, code="gold")
    with pytest.raises(PatronError) as refused:
        overrides.override_request(member=member, tier=gold, reason="VIP", actor=staff["analyst"])
    assert refused.value.code == ErrorCode.FORBIDDEN
    o = overrides.override_request(member=member, tier=gold, reason="VIP", actor=staff["marketing"])
    for who in ("analyst", "agent", "marketing", "lead_elsewhere"):
        for decide in (overrides.override_approve, overrides.override_reject):
            with pytest.raises(PatronError) as refused:
                decide(override=o, actor=staff[who])
            assert refused.value.code == ErrorCode.FORBIDDEN, who
    assert TierOverride.objects.get(pk=o.pk).status == OverrideStatus.PENDING

    overrides.override_approve(override=o, actor=staff["lead"])
    with pytest.raises(PatronError) as refused:
        overrides.override_remove(override=o, actor=staff["analyst"], reason="over")
    assert refused.value.code == ErrorCode.FORBIDDEN
    overrides.override_remove(override=o, actor=staff["lead"], reason="over")

    actions = list(
        AuditLog.objects.filter(shop=shop, action__startswith="tier_override.")
        .order_by("pk")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("tier_override.request", "mkt"),
        ("tier_override.approve", "lead"),
        ("tier_override.remove", "lead"),
    ]
