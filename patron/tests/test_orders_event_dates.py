"""A shipping, completion, refund or cancellation event dated before the
order's payment, through the event API: refused with a 422 naming
occurred_at, nothing changed, points included (the orders-level checks are
in patron/orders/tests/test_services_dates.py)."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.models import Shop
from patron.events.tests.factories import OCCURRED_AT, event, paid_data
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order
from patron.points.models import LedgerEntry, PointsAccount
from patron.tests.factories import row_counts

URL = "/api/v1/events"
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("type_", "data"),
    [
        ("order.shipped", {"order_id": "O1", "carrier": "SF", "tracking_number": "SF1"}),
        ("order.completed", {"order_id": "O1"}),
        ("order.cancelled", {"order_id": "O1"}),
        ("order.refunded", {"order_id": "O1", "refund_id": "R1"}),
    ],
)
def test_event_dated_before_payment_is_refused_naming_occurred_at(
    api: Any, shop: Shop, type_: str, data: dict[str, Any]
):
    MemberFactory.create(shop=shop, external_id="M1")
    assert api.post(URL, event("order.paid", paid_data("O1"))).status_code == 201
    order_before = Order.objects.values().get()
    counts = row_counts()
    ledger = (LedgerEntry.objects.count(), list(PointsAccount.objects.values()))
    response = api.post(URL, event(type_, data, occurred_at="2020-01-01T10:00:00+08:00"))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["field"]) == (
        "validation_error",
        "occurred_at",
    )
    assert Order.objects.values().get() == order_before
    assert row_counts() == counts
    assert (LedgerEntry.objects.count(), list(PointsAccount.objects.values())) == ledger
    # the same event dated after the payment is applied
    assert api.post(URL, event(type_, data, occurred_at=OCCURRED_AT)).status_code == 201
