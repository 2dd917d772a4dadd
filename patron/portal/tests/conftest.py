from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.portal import services

PASSWORD = "Kettle-Blossom-42"


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Any) -> None:
    # PBKDF2 at full strength costs ~0.5 s a check on this machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(shop: Shop) -> Member:
    m = Member.objects.create(
        shop=shop,
        external_id="M100",
        name="王小明",
        phone="+8613800000001",
        email="xiaoming@example.com",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    services.credential_set_password(member=m, raw_password=PASSWORD)
    return m


@pytest.fixture
def member_client(member: Member) -> Client:
    client = Client()
    response = client.post("/sign-in/", {"identifier": "13800000001", "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    return client
