from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import AgentProfile

NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def member(shop: Shop) -> Member:
    return Member.objects.create(
        shop=shop,
        external_id="m1",
        name="李雷",
        registered_at=NOON,
        created_at=NOON,
        updated_at=NOON,
        email="li@example.com",
    )


@pytest.fixture
def agent(shop: Shop, db: Any) -> AgentProfile:
    user = User.objects.create_user("agent1", password="x" * 12)
    return AgentProfile.objects.create(
        shop=shop, user=user, display_name="小王", online=True, created_at=NOON
    )


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.freeze(NOON)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    # attachments are written through the default storage: into a fresh folder
    settings.MEDIA_ROOT = tmp_path / "media"
