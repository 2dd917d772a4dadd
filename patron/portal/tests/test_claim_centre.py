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
