"""The event path's configuration cache: current after every kind of change,
including one made by another process and one that was rolled back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from patron.core import config_cache
from patron.core.models import Shop
from patron.events import services
from patron.events.tests.factories import event, paid_data
from patron.members.tests.factories import MemberFactory
from patron.points.models import PointsAccount, PointsProgram
from patron.rules import services as rule_services
from patron.rules.models import EarningRuleVersion
from patron.tiers.models import Tier, TierProgram

pytestmark = pytest.mark.django_db


@pytest.fixture
def earning_shop(shop: Shop) -> Shop:
    PointsProgram.objects.create(shop=shop)
    MemberFactory.create(shop=shop, external_id="M1")
    return shop


def _pay(shop: Shop, order_id: str) -> int:
    """Pay an order of M1 (¥230 of goods); the points it earned."""
    outcome = services.event_ingest(shop=shop, raw=event("order.paid", paid_data(order_id)))
    return sum(e["points"] for e in outcome.result["effects"] if e["type"] == "points.earned")


def test_a_new_rule_version_is_used_by_the_next_event(earning_shop: Shop):
    rule = rule_services.rule_create(
        shop=earning_shop, name="1/yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    assert _pay(earning_shop, "O1") == 230
    rule_services.rule_update(rule=rule, fields={"points_per_yuan": 2})
    assert _pay(earning_shop, "O2") == 460


def test_a_deactivated_rule_stops_at_once(earning_shop: Shop):
    rule = rule_services.rule_create(
        shop=earning_shop, name="1/yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    assert _pay(earning_shop, "O1") == 230
    rule_services.rule_set_active(rule=rule, is_active=False)  # a bulk UPDATE, no signal
    assert _pay(earning_shop, "O2") == 0


def test_a_change_by_another_process_is_seen_through_the_token(earning_shop: Shop):
    rule_services.rule_create(
        shop=earning_shop, name="1/yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    _pay(earning_shop, "O0")  # seeds the default tiers: a new token
    assert _pay(earning_shop, "O1") == 230  # cached under the token now in force
    # Another process changes the rule and the token; this process's copy stays.
    EarningRuleVersion.objects.filter(rule__shop=earning_shop).update(points_per_yuan=3)
    assert _pay(earning_shop, "O2") == 230  # the token did not move: the copy is used
    Shop.objects.filter(pk=earning_shop.pk).update(config_token=config_cache.new_token())
    assert _pay(earning_shop, "O3") == 690


def test_configuration_seeded_in_a_rolled_back_event_is_never_used(earning_shop: Shop):
    rule_services.rule_create(
        shop=earning_shop, name="1/yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    assert not TierProgram.objects.filter(shop=earning_shop).exists()
    # Given an event that seeds the default tiers (and caches them), then fails
    with pytest.raises(RuntimeError), transaction.atomic():
        _pay(earning_shop, "O1")
        raise RuntimeError("the caller's transaction fails after the event")
    assert not Tier.objects.filter(shop=earning_shop).exists()
    # When the next event runs, it seeds them again instead of using rows that
    # were rolled back (which would fail on their foreign keys)
    assert _pay(earning_shop, "O2") == 230
    assert Tier.objects.filter(shop=earning_shop).count() == 4
    assert PointsAccount.objects.get(member__external_id="M1").pending == 230


def test_outside_a_scope_nothing_is_cached(shop: Shop):
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert config_cache.cached(shop.pk, "x", load) == 1
    assert config_cache.cached(shop.pk, "x", load) == 2
    with config_cache.scope():
        assert config_cache.cached(shop.pk, "x", load) == 3
    with config_cache.scope():
        assert config_cache.cached(shop.pk, "x", load) == 3  # same token: cached
        config_cache.config_changed(shop.pk)
        assert config_cache.cached(shop.pk, "x", load) == 4


def test_every_shop_gets_its_own_token(db: Any):
    a = Shop.objects.create(name="A")
    b = Shop.objects.create(name="B")
    assert a.config_token and b.config_token and a.config_token != b.config_token
