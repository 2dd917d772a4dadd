"""The points-as-cash settings moved from rewards to points (points 0004,
rewards 0004): rows made before the move are there after it, tier rates and
permissions included, and the move runs back."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("rewards", "0003_action_permissions"), ("points", "0003_expiry_per_account")]
AFTER = [
    ("rewards", "0004_points_cash_settings_move"),
    ("points", "0004_points_cash_settings_move"),
]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate rewards and points to ``targets``, every other app staying at
    its latest; the models as they are then."""
    executor = MigrationExecutor(connection)
    apps = {app for app, _ in targets}
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in apps]
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state([*others, *targets]).apps


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_settings_and_tier_rates_made_in_rewards_are_points_after_the_move() -> None:
    try:
        old = _migrate(BEFORE)
        shop = old.get_model("core", "Shop").objects.create(name="Old shop")
        settings = old.get_model("rewards", "PointsCashSettings").objects.create(
            shop_id=shop.pk, points_per_yuan=150, max_share_percent=30, hold_minutes=15
        )
        old.get_model("rewards", "PointsCashTierRate").objects.create(
            settings_id=settings.pk, tier_code="gold", points_per_yuan=80
        )
        content_types = old.get_model("contenttypes", "ContentType").objects
        content_types.filter(model__in=["pointscashsettings", "pointscashtierrate"]).delete()
        content_type = content_types.create(app_label="rewards", model="pointscashsettings")

        new = _migrate(AFTER)
        moved = new.get_model("points", "PointsCashSettings").objects.get()
        assert (moved.pk, moved.shop_id, moved.points_per_yuan) == (settings.pk, shop.pk, 150)
        assert (moved.max_share_percent, moved.hold_minutes) == (30, 15)
        rates = new.get_model("points", "PointsCashTierRate").objects.filter(settings=moved)
        assert list(rates.values_list("tier_code", "points_per_yuan")) == [("gold", 80)]
        content_type.refresh_from_db()
        assert content_type.app_label == "points"

        back = _migrate(BEFORE)
        assert back.get_model("rewards", "PointsCashSettings").objects.get().points_per_yuan == 150
        content_type.refresh_from_db()
        assert content_type.app_label == "rewards"
    finally:
        _latest()

    from patron.points.models import PointsCashSettings
    from patron.points.services.cash import rate_for

    kept = PointsCashSettings.objects.get()
    assert rate_for(shop=kept.shop, tier_code="gold").points_per_yuan == 80
    assert rate_for(shop=kept.shop).points_per_yuan == 150
