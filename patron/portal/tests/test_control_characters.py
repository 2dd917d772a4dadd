"""The portal refuses control characters in what a member types, with a
message on the page, and changes nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.tests.conftest import give_points
from patron.rewards.models import Redemption, Reward

pytestmark = pytest.mark.django_db

MESSAGES = ("Remove the control characters", "请删除其中的控制字符")


def test_a_shipping_address_with_a_control_character_is_refused(
    shop: Shop, member: Member, member_client: Client
):
    give_points(member, 1000)
    reward = Reward.objects.create(
        shop=shop, name="帆布袋", kind="physical", points_price=100, stock=5, created_at=clock.now()
    )

    response = member_client.post(
        f"/rewards/{reward.pk}/", {"shipping_address": "北京\x00市", "idem": "a1"}
    )

    assert response.status_code == 422
    assert any(m in response.content.decode() for m in MESSAGES)
    assert not Redemption.objects.exists()
    reward.refresh_from_db()
    assert reward.redeemed_count == 0


def test_the_profile_form_refuses_a_control_character_in_the_name(
    member: Member, member_client: Client
):
    response = member_client.post(
        "/me/", {"form": "profile", "name": "小明\x1b", "email": "", "gender": ""}
    )

    assert any(m in response.content.decode() for m in MESSAGES)
    member.refresh_from_db()
    assert member.name == "王小明"
