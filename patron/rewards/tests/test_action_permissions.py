"""The services behind the admin's redemption and coupon actions check the
actor's permission in the object's shop themselves, and audit what they do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import roles
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import AuditLog, Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.members.models import Member
from patron.promotions import services as promotion_services
from patron.promotions.models import Coupon, CouponStatus, CouponTemplate
from patron.promotions.tests.conftest import give_points, issue, make_template
from patron.rewards import services
from patron.rewards.models import Redemption, RedemptionStatus
from patron.rewards.tests.test_services import make_reward

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(shop: Shop) -> dict[str, User]:
    """Marketing may; the analyst of the shop and marketing of another shop may not."""
    roles_sync()
    other = Shop.objects.create(name="Other Shop")
    return {
        "allowed": make_operator("mkt", roles.MARKETING, shop),
        "analyst": make_operator("ana", roles.ANALYST, shop),
        "elsewhere": make_operator("mkt-b", roles.MARKETING, other),
    }


def _placed(shop: Shop, member: Member, request_id: str) -> Redemption:
    give_points(member, 5000)
    redemption, _ = services.redemption_place(
        shop=shop,
        member=member,
        reward=make_reward(shop, name=f"杯 {request_id}"),
        request_id=request_id,
        shipping_address="上海",
    )
    return redemption


def _refused_then_audited(
    people: dict[str, User],
    act: Callable[[User], Any],
    state: Callable[[], Any],
    action: str,
    shop: Shop,
) -> None:
    before = state()
    for who in ("analyst", "elsewhere"):
        with pytest.raises(PatronError) as refused:
            act(people[who])
        assert refused.value.code == ErrorCode.FORBIDDEN, who
        assert refused.value.status == 403
        assert state() == before, who
    assert not AuditLog.objects.filter(action=action).exists()
    act(people["allowed"])
    assert state() != before
    entry = AuditLog.objects.get(action=action)
    assert (entry.actor, entry.shop_id) == (people["allowed"], shop.pk)


def test_fulfilling_a_redemption_needs_the_permission_and_is_audited(
    shop: Shop, member: Member, people: dict[str, User]
) -> None:
    r = _placed(shop, member, "F1")
    _refused_then_audited(
        people,
        lambda actor: services.redemption_fulfil(redemption=r, actor=actor),
        lambda: Redemption.objects.get(pk=r.pk).status,
        "redemption.fulfil",
        shop,
    )
    assert Redemption.objects.get(pk=r.pk).status == RedemptionStatus.FULFILLED


def test_cancelling_a_redemption_needs_the_permission_and_is_audited(
    shop: Shop, member: Member, people: dict[str, User]
) -> None:
    r = _placed(shop, member, "C1")
    _refused_then_audited(
        people,
        lambda actor: services.redemption_cancel(redemption=r, actor=actor, reason="x"),
        lambda: Redemption.objects.get(pk=r.pk).status,
        "redemption.cancel",
        shop,
    )
    assert Redemption.objects.get(pk=r.pk).status == RedemptionStatus.CANCELLED


def test_revoking_a_coupon_needs_the_permission_and_is_audited(
    shop: Shop, member: Member, people: dict[str, User]
) -> None:
    coupon = issue(make_template(shop), member)
    _refused_then_audited(
        people,
        lambda actor: promotion_services.coupon_revoke(coupon=coupon, actor=actor),
        lambda: Coupon.objects.get(pk=coupon.pk).status,
        "coupon.revoke",
        shop,
    )
    assert Coupon.objects.get(pk=coupon.pk).status == CouponStatus.REVOKED


def test_a_new_public_code_needs_the_permission_and_is_audited(
    shop: Shop, people: dict[str, User]
) -> None:
    template = make_template(shop)
    _refused_then_audited(
        people,
        lambda actor: promotion_services.template_public_code_assign(
            template=template, actor=actor
        ),
        lambda: CouponTemplate.objects.get(pk=template.pk).public_code,
        "coupon_template.public_code",
        shop,
    )
