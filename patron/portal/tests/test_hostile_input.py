"""Portal input that used to end in a 500: shop links with numbers out of
range, a claim of sale "²", and an address longer than the API accepts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.portal import services
from patron.portal.models import UsedSignInNonce
from patron.promotions.models import Coupon
from patron.rewards.models import Redemption, Reward, RewardKind
from patron.rewards.services import MAX_SHIPPING_ADDRESS

pytestmark = pytest.mark.django_db
REFUSED = "登录链接无效或已过期"


@pytest.mark.parametrize(
    "query",
    [
        "shop=99999999999999999999&member=M100&ts=1&nonce=n&sig=s",
        "shop=9223372036854775808&member=M100&ts=1&nonce=n&sig=s",
        "shop=-1&member=M100&ts=1&nonce=n&sig=s",
        "shop=²&member=M100&ts=²&nonce=n&sig=s",
        "shop=１&member=M100&ts=1&nonce=n&sig=²",
        "member=M100",
        "",
    ],
)
def test_links_with_numbers_out_of_range_are_refused_not_a_500(member: Member, query: str) -> None:
    response = Client(raise_request_exception=False).get(f"/sso?{query}")
    assert response.status_code == 403
    assert REFUSED in response.content.decode()


@pytest.mark.parametrize("ts", [10**20, 2**63, 10**13, -(10**15), 0])
def test_a_signed_link_with_a_time_out_of_range_is_refused_not_a_500(
    shop: Shop, member: Member, ts: int
) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    sig = services.link_signature(secret=secret, shop_id=shop.pk, member="M100", ts=ts, nonce="n1")
    link = f"/sso?shop={shop.pk}&member=M100&ts={ts}&nonce=n1&sig={sig}"
    response = Client(raise_request_exception=False).get(link)
    assert response.status_code == 403
    assert REFUSED in response.content.decode()
    assert UsedSignInNonce.objects.count() == 0


@pytest.mark.parametrize("sale", ["²", "١٢", "99999999999999999999999", "1e3", "-1"])
def test_claiming_a_sale_that_is_no_number_says_so(member_client: Client, sale: str) -> None:
    response = member_client.post("/coupons/claim/", {"sale": sale, "idem": f"k-{sale}"})
    assert 400 <= response.status_code < 500, response.status_code
    assert Coupon.objects.count() == 0


def test_the_portal_caps_the_shipping_address_like_the_api(
    shop: Shop, member: Member, member_client: Client
) -> None:
    reward = Reward.objects.create(
        shop=shop,
        name="帆布袋",
        kind=RewardKind.PHYSICAL,
        points_price=0,
        stock=5,
        created_at=clock.now() - dt.timedelta(days=1),
    )
    response = member_client.post(
        f"/rewards/{reward.pk}/",
        {"idem": "k1", "shipping_address": "北京市" * 3400},  # 10,200 characters
    )
    assert response.status_code == 422
    assert f"地址最多 {MAX_SHIPPING_ADDRESS} 个字" in response.content.decode()
    assert Redemption.objects.count() == 0
    # the longest address accepted is what the API accepts
    ok = member_client.post(
        f"/rewards/{reward.pk}/", {"idem": "k2", "shipping_address": "京" * MAX_SHIPPING_ADDRESS}
    )
    assert ok.status_code == 302, ok.content[:300]
    assert len(Redemption.objects.get().shipping_address) == MAX_SHIPPING_ADDRESS


def test_the_api_refuses_the_same_address(api: Any, shop: Shop, member: Member) -> None:
    reward = Reward.objects.create(
        shop=shop, name="帆布袋", kind=RewardKind.PHYSICAL, points_price=0, created_at=clock.now()
    )
    response = api.post(
        "/api/v1/members/M100/redemptions",
        {"reward_id": reward.pk, "request_id": "r1", "shipping_address": "x" * 501},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "shipping_address"
