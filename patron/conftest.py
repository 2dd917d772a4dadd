"""Shared fixtures: the movable clock, a shop with an API client, and the rules
for PostgreSQL-only and browser tests.

PostgreSQL tests run when DATABASE_URL points at PostgreSQL and are deselected
on SQLite (the CI runs both). Under CI=true, a postgres or browser test that
skips counts as a failure: CI must not go green by not testing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from patron.core import clock
from patron.core import services as core_services
from patron.core.models import ApiScope, Shop
from patron.core.tests.client import ApiClient
from patron.tests.factories import row_counts as count_rows

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IS_POSTGRES:
        return
    selected: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome: Any = yield
    report = outcome.get_result()
    strict = item.get_closest_marker("postgres") or item.get_closest_marker("browser")
    if IN_CI and strict and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, which counts as a failure: {report.longrepr}"


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def shop(db: Any) -> Shop:
    return Shop.objects.create(name="Test Shop")


@pytest.fixture
def api(shop: Shop) -> ApiClient:
    created = core_services.api_key_create(shop=shop, name="test", scopes=ApiScope.values)
    return ApiClient(created.token)


@pytest.fixture
def make_api(shop: Shop) -> Any:
    def make(*scopes: str) -> ApiClient:
        return ApiClient(core_services.api_key_create(shop=shop, name="t", scopes=scopes).token)

    return make


@pytest.fixture
def staff_as(shop: Shop) -> Any:
    """``staff_as("analyst")``: a test client signed in as a staff operator with
    that role in ``shop`` (the admin needs ``is_staff``; the console only the
    role). Operators belong to shops: the role counts in its shop only."""
    from django.contrib.auth.models import User

    from patron.core.models import OperatorMembership

    core_services.roles_sync()

    def make(role: str) -> Client:
        user, _ = User.objects.get_or_create(username=f"{role}-staff", defaults={"is_staff": True})
        OperatorMembership.objects.update_or_create(user=user, shop=shop, defaults={"role": role})
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def row_counts(db: Any) -> Any:
    """``row_counts()``: how many rows each model a refused request must not
    touch holds (members, orders, events, idempotency records, audit, keys).
    A fixture, so that tests of the lower apps count rows of the higher ones
    without importing them."""
    return count_rows
