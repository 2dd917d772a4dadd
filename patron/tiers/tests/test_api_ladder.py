"""GET /tiers for a new shop: the default ladder before the first event,
without writing it on the read."""

from __future__ import annotations

import pytest

from patron.core.models import ApiScope, Shop
from patron.tiers.models import Tier, TierProgram
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def test_new_shop_answers_the_default_ladder_and_writes_nothing(api, shop: Shop) -> None:
    response = api.get("/api/v1/tiers")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(t["code"], t["name"], t["entry_threshold"]) for t in body["tiers"]] == [
        ("normal", "普通会员", 0),
        ("silver", "银牌会员", 1000),
        ("gold", "金牌会员", 5000),
        ("diamond", "钻石会员", 20000),
    ]
    assert body["tiers"][2]["benefits"]["discount_bp"] == 500
    assert not Tier.objects.filter(shop=shop).exists()
    assert not TierProgram.objects.filter(shop=shop).exists()


def test_the_ladder_shown_before_is_the_one_seeded_on_the_first_event(api, shop: Shop) -> None:
    before = api.get("/api/v1/tiers").json()
    tiers_seed_defaults(shop=shop)
    assert api.get("/api/v1/tiers").json() == before


def test_a_configured_shop_shows_its_own_tiers(api, shop: Shop) -> None:
    tiers_seed_defaults(shop=shop)
    Tier.objects.filter(shop=shop, code="diamond").update(name="黑钻会员")
    names = [t["name"] for t in api.get("/api/v1/tiers").json()["tiers"]]
    assert names == ["普通会员", "银牌会员", "金牌会员", "黑钻会员"]


def test_tiers_need_the_members_read_scope(make_api, shop: Shop) -> None:
    assert make_api(ApiScope.CHECKOUT).get("/api/v1/tiers").status_code == 403
