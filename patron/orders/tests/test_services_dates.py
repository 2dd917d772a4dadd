"""Shipping, completing, refunding or cancelling a paid order cannot be dated
before its payment: refused with a 422 naming occurred_at, nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events.tests.factories import OCCURRED_AT, event, paid_data, row_counts
from patron.members.tests.factories import MemberFactory
from patron.orders import services
from patron.orders.models import Order, OrderStatus
from patron.orders.services import LineInput, PaidOrderInput
from patron.points.models import LedgerEntry, PointsAccount

PAID_AT = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)
URL = "/api/v1/events"
pytestmark = pytest.mark.django_db


def _pay(shop: Shop) -> Order:
    return services.order_record_paid(
        shop=shop,
        member=MemberFactory.create(shop=shop, external_id="M1"),
        data=PaidOrderInput(order_id="O1", lines=[LineInput("A", "A", 2, 1000)], paid_amount=2000),
        at=PAID_AT,
    )


def _ship(order: Order, at: dt.datetime) -> None:
    services.order_transition(order=order, to=OrderStatus.SHIPPED, at=at)


def _complete(order: Order, at: dt.datetime) -> None:
    services.order_transition(order=order, to=OrderStatus.COMPLETED, at=at)


def _cancel(order: Order, at: dt.datetime) -> None:
    services.order_transition(order=order, to=OrderStatus.CANCELLED, at=at)


def _refund(order: Order, at: dt.datetime) -> None:
    services.order_refund(order=order, refund_id="R1", lines=None, at=at)


ACTIONS = [
    pytest.param(_ship, "shipped", id="ship"),
    pytest.param(_complete, "completed", id="complete"),
    pytest.param(_cancel, "cancelled", id="cancel"),
    pytest.param(_refund, "refunded", id="refund"),
]


@pytest.mark.parametrize(("act", "status"), ACTIONS)
def test_transition_dated_before_payment_is_refused(shop: Shop, act: Any, status: str):
    order = _pay(shop)
    before = Order.objects.values().get(pk=order.pk)
    with pytest.raises(PatronError) as refused, transaction.atomic():
        act(services.order_lock(shop=shop, order_id="O1"), PAID_AT - dt.timedelta(seconds=1))
    assert (refused.value.status, refused.value.field) == (422, "occurred_at")
    assert "before order 'O1' was paid" in refused.value.detail_en
    assert Order.objects.values().get(pk=order.pk) == before
    assert [h.to_status for h in order.history.all()] == ["paid"]


@pytest.mark.parametrize(("act", "status"), ACTIONS)
def test_transition_at_or_after_payment_is_applied(shop: Shop, act: Any, status: str):
    _pay(shop)
    with transaction.atomic():
        act(services.order_lock(shop=shop, order_id="O1"), PAID_AT)
    assert Order.objects.get().status == status


def test_cancelling_an_unpaid_order_has_no_payment_to_compare(shop: Shop):
    order = _pay(shop)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.CREATED, paid_at=None)
    with transaction.atomic():
        _cancel(services.order_lock(shop=shop, order_id="O1"), PAID_AT - dt.timedelta(days=400))
    assert Order.objects.get().status == OrderStatus.CANCELLED


# --- through the event API: nothing changes, points included ----------------------


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
