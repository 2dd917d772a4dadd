from __future__ import annotations

import pytest
from django.test import Client

from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions import services as promotions
from patron.promotions.models import CouponTemplate

pytestmark = pytest.mark.django_db


def _template(shop: Shop, code: str, limit: int) -> CouponTemplate:
    return promotions.template_create(
        shop=shop,
        actor=None,
        spec=promotions.TemplateSpec(
            code=code,
            name=f"券 {code}",
            type="fixed",
            amount=500,
            per_member_limit=limit,
            claimable=True,
        ),
    )


def test_a_template_used_up_by_the_member_shows_claimed_not_a_claim_button(
    shop: Shop, member: Member, member_client: Client
) -> None:
    # given a template of one per member, claimed, and one of two, claimed once
    once = _template(shop, "once", 1)
    twice = _template(shop, "twice", 2)
    promotions.coupon_claim(shop=shop, member=member, template_code="once")
    promotions.coupon_claim(shop=shop, member=member, template_code="twice")
    # when the member opens the claim centre
    body = member_client.get("/coupons/claim/").content.decode()
    # then the first shows as claimed and the second can still be claimed
    assert f'data-testid="template-claimed-{once.pk}"' in body
    assert 'name="template" value="once"' not in body
    assert f'data-testid="template-claimed-{twice.pk}"' not in body
    assert 'name="template" value="twice"' in body


def test_a_member_whose_tier_lacks_flash_sales_is_told_so_and_refused(
    shop: Shop, member: Member, member_client: Client
) -> None:
    import datetime as dt

    from patron.core import clock
    from patron.promotions.models import Coupon, FlashSale
    from patron.tiers.services.definitions import tiers_seed_defaults

    # given the default tiers (Normal has no flash sales) and a live flash sale
    tiers_seed_defaults(shop=shop)
    sale = FlashSale.objects.create(
        shop=shop,
        name="限时抢购",
        template=_template(shop, "flash", 1),
        quantity=5,
        starts_at=clock.now() - dt.timedelta(minutes=1),
        ends_at=clock.now() + dt.timedelta(hours=1),
        per_member_limit=1,
    )
    # when the Normal member opens the claim centre, the sale has no claim button
    body = member_client.get("/coupons/claim/").content.decode()
    assert f'data-testid="sale-tier-{sale.pk}"' in body
    # and a forged claim is refused, in the member's words, and changes nothing
    response = member_client.post("/coupons/claim/", {"sale": sale.pk, "idem": "x1"})
    assert response.status_code == 403
    assert "您的等级暂不能参与此优惠" in response.content.decode()
    sale.refresh_from_db()
    assert sale.claimed_count == 0
    assert not Coupon.objects.filter(member=member).exists()


def test_a_refusal_s_detail_follows_the_member_s_language(
    member: Member, member_client: Client
) -> None:
    # the same bad claim (nothing named), in Chinese and then in English
    zh = member_client.post("/coupons/claim/", {"idem": "z1"}).content.decode()
    member_client.cookies["django_language"] = "en"
    en = member_client.post("/coupons/claim/", {"idem": "e1"}).content.decode()

    assert "没有可领取的内容" in zh
    assert "nothing to claim" in en
    assert "nothing to claim" not in zh
