"""The redemption admin shows shipping addresses only to roles with the PII
permission, and filters on them for no one else (issue 11, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.tests.factories import MemberFactory
from patron.rewards.models import Redemption, Reward, RewardKind

pytestmark = pytest.mark.django_db

ADDRESS = "上海市浦东新区世纪大道100号 张伟 13812345678"
URL = "/admin/rewards/redemption/"


@pytest.fixture
def redemption(shop: Shop) -> Redemption:
    now = clock.now()
    reward = Reward.objects.create(
        shop=shop, name="保温杯", kind=RewardKind.PHYSICAL, points_price=100, created_at=now
    )
    return Redemption.objects.create(
        shop=shop,
        member=MemberFactory.create(shop=shop),
        reward=reward,
        request_id="R1",
        points=100,
        shipping_address=ADDRESS,
        placed_at=now,
    )


@pytest.mark.parametrize("role", ["analyst", "marketing", "finance"])
def test_roles_without_pii_see_the_address_masked(
    staff_as: Any, redemption: Redemption, role: str
) -> None:
    page = staff_as(role).get(f"{URL}{redemption.pk}/change/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "世纪大道" not in body
    assert "13812345678" not in body
    assert "上海市浦东新****" in body


@pytest.mark.parametrize("role", ["service_agent", "service_lead"])
def test_roles_with_pii_see_the_full_address(
    staff_as: Any, redemption: Redemption, role: str
) -> None:
    assert "世纪大道100号" in staff_as(role).get(f"{URL}{redemption.pk}/change/").content.decode()


def test_filtering_on_the_address_is_refused_without_pii(
    staff_as: Any, redemption: Redemption
) -> None:
    assert staff_as("analyst").get(URL, {"shipping_address__contains": "世纪"}).status_code == 400
    assert staff_as("analyst").get(URL, {"member__phone__startswith": "+86"}).status_code == 400
    allowed = staff_as("service_lead").get(URL, {"shipping_address__contains": "世纪"})
    assert allowed.status_code == 200
