"""The variables conditions are evaluated with match the types rules declares
for the save-time check (``rules.typecheck``): no field the check refuses is
there, and none it accepts is missing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points import earning_rules
from patron.rules import cel_types

PYTHON_TYPES = {
    "int": int,
    "string": str,
    "bool": bool,
    "timestamp": dt.datetime,
}


def assert_matches(value: Any, declared: cel_types.T, path: str) -> None:
    if declared.name == "dyn":
        return
    if declared.name == "object":
        assert isinstance(value, dict), path
        assert set(value) == set(declared.fields), path
        for name, field_type in declared.fields.items():
            assert_matches(value[name], field_type, f"{path}.{name}")
    elif declared.name == "list":
        assert isinstance(value, list), path
        assert value, f"{path}: give the sample an item to check"
        assert declared.elem is not None
        for item in value:
            assert_matches(item, declared.elem, f"{path}[]")
    else:
        assert isinstance(value, PYTHON_TYPES[declared.name]), path
        assert not isinstance(value, bool) or declared.name == "bool", path


@pytest.mark.django_db
def test_order_activation_has_exactly_the_declared_typed_variables(shop: Shop) -> None:
    now = clock.now()
    member = Member.objects.create(
        shop=shop,
        external_id="M1",
        birthday=dt.date(1990, 5, 20),
        registered_at=now,
        created_at=now,
        updated_at=now,
    )
    facts = earning_rules.OrderFacts(
        order_id="O1",
        lines=[
            earning_rules.LineFacts(
                line_id="1",
                sku="TEA-01",
                category="tea",
                quantity=1,
                unit_price=100,
                paid_amount=100,
            )
        ],
        paid_amount=100,
        shipping_fee=0,
        items_amount=100,
        points_used=0,
        coupon_codes=["WELCOME"],
        paid_at=now,
    )

    activation = earning_rules.order_activation(facts, member, "gold")

    declared = cel_types.variables_for("order.paid")
    assert set(activation) == set(declared)
    for name, declared_type in declared.items():
        assert_matches(activation[name], declared_type, name)
    assert set(cel_types.variables_for("checkin")) == {"event", "member"}
