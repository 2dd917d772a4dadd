from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock, roles
from patron.core.models import Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.events import services as event_services
from patron.members.models import Member
from patron.tiers.models import TierProgram
from patron.tiers.services.definitions import tiers_seed_defaults

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 1, 10, 12, 0, tzinfo=SH)
_ids = itertools.count(1)


@pytest.fixture
def t0() -> dt.datetime:
    clock.freeze(T0)
    return T0


@pytest.fixture
def program(shop: Shop, t0: dt.datetime) -> TierProgram:
    return tiers_seed_defaults(shop=shop)


@pytest.fixture
def member(shop: Shop, program: TierProgram) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id="M1", registered_at=now, created_at=now, updated_at=now
    )


@pytest.fixture
def operators(shop: Shop) -> tuple[User, User]:
    """Two admins of ``shop``: one requests, the other decides."""
    roles_sync()
    return (
        make_operator("alice", roles.ADMIN, shop, is_staff=True),
        make_operator("bob", roles.ADMIN, shop, is_staff=True),
    )


def set_program(program: TierProgram, **fields: Any) -> TierProgram:
    for k, v in fields.items():
        setattr(program, k, v)
    program.save()
    return program


def move_to(day: dt.date, hour: int = 3) -> None:
    clock.freeze(dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=SH))


class Sender:
    """Sends events through the real intake (the same path as POST /api/v1/events)."""

    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def __call__(self, type_: str, data: dict[str, Any], member: str = "M1") -> dict[str, Any]:
        raw = {
            "id": f"e{next(_ids)}",
            "type": type_,
            "member": member,
            "occurred_at": clock.now().isoformat(),
            "data": data,
        }
        return event_services.event_ingest(shop=self.shop, raw=raw).result

    def pay(self, order_id: str, *amounts: int, member: str = "M1") -> dict[str, Any]:
        lines = [
            {"line_id": f"L{i}", "sku": f"S{i}", "quantity": 1, "unit_price": a, "category": "c"}
            for i, a in enumerate(amounts, 1)
        ]
        return self(
            "order.paid",
            {"order_id": order_id, "lines": lines, "paid_amount": sum(amounts)},
            member,
        )

    def refund(
        self, order_id: str, refund_id: str, lines: list[str] | None = None, member: str = "M1"
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"order_id": order_id, "refund_id": refund_id}
        if lines is not None:
            data["lines"] = [{"line_id": ln, "quantity": 1} for ln in lines]
        return self("order.refunded", data, member)


@pytest.fixture
def send(shop: Shop, member: Member) -> Sender:
    return Sender(shop)


def effects_of(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in result["effects"] if e["type"] == kind]
