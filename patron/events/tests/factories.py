"""Builders for event bodies (the counter of the rows an event may change is
``patron.tests.factories.row_counts``, the ``row_counts`` fixture)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

OCCURRED_AT = "2026-11-11T10:00:00+08:00"
_ids = itertools.count(1)


def event(
    type: str,
    data: dict[str, Any] | None = None,
    *,
    member: str = "M1",
    id: str | None = None,
    occurred_at: str = OCCURRED_AT,
) -> dict[str, Any]:
    return {
        "id": id or f"evt-{next(_ids)}",
        "type": type,
        "member": member,
        "occurred_at": occurred_at,
        "data": data if data is not None else {},
    }


def paid_data(order_id: str = "O1", **overrides: Any) -> dict[str, Any]:
    """Two lines (2 × ¥100 and 1 × ¥50), ¥10 shipping, ¥20 discount: paid ¥240."""
    data: dict[str, Any] = {
        "order_id": order_id,
        "lines": [
            {"line_id": "L1", "sku": "SKU-1", "quantity": 2, "unit_price": 10000},
            {"line_id": "L2", "sku": "SKU-2", "quantity": 1, "unit_price": 5000},
        ],
        "paid_amount": 24000,
        "shipping_fee": 1000,
        "discount_amount": 2000,
    }
    data.update(overrides)
    return data


def future(seconds: int) -> str:
    from patron.core import clock

    return (clock.now() + dt.timedelta(seconds=seconds)).isoformat()
