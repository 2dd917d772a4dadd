"""Flash sales are a tier benefit (``flash_sale_access``, shown by GET /tiers
and the portal): a member whose tier lacks it is refused with a clear code."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.core.tests.client import ApiClient
from patron.members.models import Member
from patron.promotions import services
from patron.promotions.models import Coupon, FlashSale
from patron.promotions.tests.conftest import make_member, make_template
from patron.tiers.models import MemberTier, Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def make_sale(shop: Shop) -> FlashSale:
    now = clock.now()
    return FlashSale.objects.create(
        shop=shop,
        name="618 flash",
        template=make_template(shop, amount=2000),
        quantity=10,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        per_member_limit=1,
    )


def in_tier(member: Member, code: str) -> Member:
    MemberTier.objects.create(
        member=member,
        shop=member.shop,
        tier=Tier.objects.get(shop=member.shop, code=code),
        since=clock.now(),
        updated_at=clock.now(),
    )
    return member


@pytest.fixture
def tiers(shop: Shop, t0: dt.datetime) -> None:
    tiers_seed_defaults(shop=shop)  # Normal: no flash sales; Silver and up: flash sales


def test_a_normal_member_may_not_claim_and_a_silver_member_may(
    shop: Shop, tiers: None, api: ApiClient
) -> None:
    sale = make_sale(shop)
    normal, silver = make_member(shop, "N1"), in_tier(make_member(shop, "S1"), "silver")
    listed = {
        t["code"]: t["benefits"]["flash_sale_access"]
        for t in api.get("/api/v1/tiers").json()["tiers"]
    }
    assert listed == {"normal": False, "silver": True, "gold": True, "diamond": True}

    with pytest.raises(PatronError) as exc:
        services.flash_sale_claim(sale=sale, member=normal)
    assert (exc.value.code, exc.value.status, exc.value.field) == (
        ErrorCode.TIER_NOT_ELIGIBLE,
        403,
        "member",
    )
    response = api.post(
        f"/api/v1/members/N1/flash-sales/{sale.pk}/claim", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("tier_not_eligible", "member")
    assert problem["detail"] == "flash sales are not a benefit of the Normal tier"

    assert api.post(f"/api/v1/members/S1/flash-sales/{sale.pk}/claim").status_code == 201
    sale.refresh_from_db()
    assert sale.claimed_count == 1
    assert not Coupon.objects.filter(member=normal).exists()
    assert Coupon.objects.filter(member=silver).count() == 1


def test_without_tiers_nobody_is_kept_out(shop: Shop, t0: dt.datetime) -> None:
    sale = make_sale(shop)
    services.flash_sale_claim(sale=sale, member=make_member(shop))
    sale.refresh_from_db()
    assert sale.claimed_count == 1
