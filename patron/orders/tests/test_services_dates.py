"""Shipping, completing, refunding or cancelling a paid order cannot be dated
before its payment: refused with a 422 naming occurred_at, nothing changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.tests.factories import MemberFactory
from patron.orders import services
from patron.orders.models import Order, OrderStatus
from patron.orders.services import LineInput, PaidOrderInput

PAID_AT = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)
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
