"""A delivered order with points earned on it, for the return tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order
from patron.points.models import PointsProgram
from patron.points.tests.conftest import Sender, make_rule
from patron.service import services
from patron.service.models import ReturnRequest

DAY = dt.timedelta(days=1)


def earning(shop: Shop) -> None:
    """1 point a yuan on paid orders."""
    PointsProgram.objects.create(shop=shop)
    make_rule(shop, points_per_yuan=1)


def paid_order(shop: Shop, member: Member, order_id: str = "O1") -> Order:
    """L1 2 × ¥100 (shoes), L2 1 × ¥50 (food), paid two days ago."""
    Sender(shop)(
        "order.paid",
        member.external_id,
        {
            "order_id": order_id,
            "lines": [
                {"line_id": "L1", "sku": "SKU-1", "quantity": 2, "unit_price": 10000}
                | {"category": "shoes"},
                {"line_id": "L2", "sku": "SKU-2", "quantity": 1, "unit_price": 5000}
                | {"category": "food"},
            ],
            "paid_amount": 25000,
        },
        at=clock.now() - 2 * DAY,
    )
    return Order.objects.get(shop=shop, external_id=order_id)


def delivered_order(shop: Shop, member: Member, order_id: str = "O1") -> Order:
    """``paid_order``, completed (delivered, 签收) a day ago."""
    paid_order(shop, member, order_id)
    Sender(shop)(
        "order.completed", member.external_id, {"order_id": order_id}, at=clock.now() - DAY
    )
    return Order.objects.get(shop=shop, external_id=order_id)


def refunded(shop: Shop, member: Member, refund_id: str, lines: dict[str, int]) -> Any:
    return Sender(shop).refund("O1", refund_id, lines, member=member.external_id)


def ask(member: Member, **kw: Any) -> ReturnRequest:
    args: dict[str, Any] = {
        "member": member,
        "order_id": "O1",
        "lines": [services.ReturnLineInput("L1", 1)],
        "kind": "return",
        "reason": "no_reason",
    }
    args.update(kw)
    return services.return_request(**args)
