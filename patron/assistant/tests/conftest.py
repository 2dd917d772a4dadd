from __future__ import annotations

import datetime as dt

import pytest

from patron.assistant.models import Entry, EntryState
from patron.assistant.tests.fakes import fake_engine
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member

__all__ = ["fake_engine"]

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


def entry(shop: Shop, key: str, zh: str, en: str, answer_zh: str, answer_en: str) -> Entry:
    return Entry.objects.create(
        shop=shop,
        key=key,
        category="general",
        state=EntryState.PUBLISHED,
        question_zh=zh,
        question_en=en,
        answer_zh=answer_zh,
        answer_en=answer_en,
        created_at=clock.now(),
        updated_at=clock.now(),
    )


@pytest.fixture
def kb(shop: Shop) -> list[Entry]:
    """Three entries; two of them close enough that a vague question is unsure."""
    return [
        entry(
            shop,
            "returns-how",
            "怎么申请退货",
            "How do I return an item?",
            "在“我的订单”里点“申请退货”，7 天内可退。",
            "Open My orders and choose Return; returns are accepted within 7 days.",
        ),
        entry(
            shop,
            "points-earn",
            "积分怎么获得",
            "How do I earn points?",
            "每消费 1 元得 1 积分。",
            "You earn 1 point for every yuan you spend.",
        ),
        entry(
            shop,
            "points-use",
            "积分怎么使用",
            "How do I use points?",
            "结算时可用积分抵现，100 积分抵 1 元。",
            "At checkout 100 points pay 1 yuan.",
        ),
    ]
