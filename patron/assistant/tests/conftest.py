from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member

NOON = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.freeze(NOON)


def make_member(shop: Shop, external_id: str, phone: str) -> Member:
    return Member.objects.create(
        shop=shop,
        external_id=external_id,
        name="王小明",
        phone=phone,
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )


@pytest.fixture
def member(shop: Shop) -> Member:
    return make_member(shop, "M100", "+8613800000001")


@pytest.fixture
def other(shop: Shop) -> Member:
    return make_member(shop, "M200", "+8613800000002")
