from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member

ROLES = ["admin", "marketing", "finance", "service_agent", "service_lead", "analyst"]


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def operators(shop: Shop) -> dict[str, User]:
    """One operator of each role in ``shop``."""
    roles_sync()
    users = {}
    for role in ROLES:
        user = User.objects.create_user(role, password="pw", is_staff=role == "admin")
        OperatorMembership.objects.create(user=user, shop=shop, role=role)
        users[role] = user
    return users


@pytest.fixture
def as_role(operators: dict[str, User]) -> Any:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(operators[role])
        return client

    return make


@pytest.fixture
def member(shop: Shop) -> Member:
    return Member.objects.create(
        shop=shop,
        external_id="M200",
        name="李雷",
        phone="+8613912345678",
        email="lilei@example.com",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
