from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.points.models import PointsProgram
from patron.rules import services as rule_services
from patron.rules.models import EarningRule

T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai
_ids = itertools.count(1)


@pytest.fixture
def t0() -> dt.datetime:
    clock.freeze(T0)
    return T0


@pytest.fixture
def program(shop: Shop) -> PointsProgram:
    return PointsProgram.objects.create(shop=shop)


@pytest.fixture
def member(shop: Shop, t0: dt.datetime) -> Member:
    return Member.objects.create(
        shop=shop, external_id="M1", registered_at=t0, created_at=t0, updated_at=t0
    )


def make_rule(
    shop: Shop, trigger: str = "order.paid", name: str = "", **fields: Any
) -> EarningRule:
    return rule_services.rule_create(
        shop=shop, name=name or f"{trigger} rule", trigger=trigger, fields=fields
    )


class Sender:
    def __init__(self, shop: Shop) -> None:
        self.shop = shop

    def __call__(
        self, type_: str, member: str = "M1", data: dict[str, Any] | None = None, **kw: Any
    ) -> dict[str, Any]:
        raw = {
            "id": f"e{next(_ids)}",
            "type": type_,
            "member": member,
            "occurred_at": (kw.get("at") or clock.now()).isoformat(),
            "data": data or {},
        }
        return event_services.event_ingest(shop=self.shop, raw=raw).result

    def paid(
        self,
        order_id: str,
        lines: list[tuple[str, int, int]] | list[tuple[str, int, int, str]],
        *,
        paid_amount: int | None = None,
        shipping_fee: int = 0,
        points_used: int = 0,
        member: str = "M1",
    ) -> dict[str, Any]:
        """lines: (sku, quantity, unit_price[, category]); line ids are L1, L2, ..."""
        items = [
            {
                "line_id": f"L{i}",
                "sku": ln[0],
                "quantity": ln[1],
                "unit_price": ln[2],
                "category": ln[3] if len(ln) > 3 else "",  # type: ignore[misc]
            }
            for i, ln in enumerate(lines, 1)
        ]
        total = sum(ln[1] * ln[2] for ln in lines) + shipping_fee
        return self(
            "order.paid",
            member,
            {
                "order_id": order_id,
                "lines": items,
                "paid_amount": total if paid_amount is None else paid_amount,
                "shipping_fee": shipping_fee,
                "points_used": points_used,
                "points_amount": points_used // 100,
            },
        )

    def refund(
        self, order_id: str, refund_id: str, lines: dict[str, int] | None = None, member: str = "M1"
    ) -> dict[str, Any]:
        data: dict[str, Any] = {"order_id": order_id, "refund_id": refund_id}
        if lines is not None:
            data["lines"] = [{"line_id": k, "quantity": q} for k, q in lines.items()]
        return self("order.refunded", member, data)


@pytest.fixture
def send(shop: Shop) -> Sender:
    return Sender(shop)


def effects(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in result["effects"] if e["type"] == kind]
