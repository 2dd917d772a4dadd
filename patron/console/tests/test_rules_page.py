"""The earning rules page: the rules with their rate (per N yuan, campaigns),
and a warning where a birthday rule and tier birthday gifts both grant."""

from __future__ import annotations

import datetime as dt

from patron.rules import services as rule_services
from patron.tiers.models import TierBenefits
from patron.tiers.services.definitions import tiers_seed_defaults

WARNING = "members get both"


def test_birthday_rule_and_tier_gift_together_are_flagged(as_role, shop):
    page = as_role("marketing")
    tiers_seed_defaults(shop=shop)  # the higher default tiers give birthday points
    assert TierBenefits.objects.filter(tier__shop=shop, birthday_gift_points__gt=0).exists()
    assert WARNING not in page.get("/console/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rule_services.rule_create(
        shop=shop, name="生日积分", trigger="birthday", fields={"points": 100}
    )
    body = page.get("/console/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{shop.name}: the birthday points rule and the tiers" in body
    assert WARNING in body
    zh = page.get("/console/rules/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "会员会两份都得到" in zh
    TierBenefits.objects.filter(tier__shop=shop).update(birthday_gift_points=0)
    assert WARNING not in page.get("/console/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_rate_shows_the_yuan_step_and_the_campaign(as_role, shop):
    rule_services.rule_create(
        shop=shop,
        name="Orders",
        trigger="order.paid",
        fields={
            "points_per_yuan": 1,
            "spend_step_yuan": 10,
            "campaign_name": "Double 11",
            "campaign_starts_at": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
            "campaign_ends_at": dt.datetime(2026, 11, 12, tzinfo=dt.UTC),
            "campaign_multiplier": 300,
        },
    )
    body = as_role("marketing").get("/console/rules/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 / ¥10" in body and "Double 11 300%" in body
    assert "<td>order paid (points per yuan)</td>" in body  # the trigger, in words
    assert WARNING not in body
