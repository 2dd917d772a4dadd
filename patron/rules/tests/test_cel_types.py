"""Conditions are type-checked against the typed variables of the rule's
trigger when saved: an unknown field or variable, or an operator on the wrong
types, is refused with its line and column, as a syntax error is."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.rules import cel
from patron.rules import services as rule_services
from patron.rules.models import EarningRule


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The messages below are the English ones (zh-Hans: see the last test)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("trigger", "condition", "line", "column", "message"),
    [
        (
            "order.paid",
            "order.nope > 1",
            1,
            7,
            "order has no field 'nope' (it has: coupon_codes, goods_paid, items_amount, "
            "lines, order_id, paid_amount, points_used, shipping_fee)",
        ),
        ("order.paid", 'order.paid_amount > "100"', 1, 1, "no overload of '>' for (int, string)"),
        (
            "order.paid",
            "order.paid_amount + 1.5 > 2.0",
            1,
            1,
            "no overload of '+' for (int, double)",
        ),
        ("order.paid", "order.paid_amount", 1, 1, "a condition must be true or false, not int"),
        (
            "order.paid",
            'order.paid_amount >= 100 &&\n  member.tiers == "gold"',
            2,
            10,
            "member has no field 'tiers' (it has: external_id, gender, has_birthday, language, "
            "registered_at, registration_channel, tier)",
        ),
        (
            "order.paid",
            'order.lines.exists(l, l.categroy == "tea")',
            1,
            25,
            "order line has no field 'categroy' (it has: category, line_id, paid_amount, "
            "quantity, sku, unit_price)",
        ),
        (
            "checkin",
            "order.paid_amount > 100",
            1,
            1,
            "unknown variable 'order' (this rule has: event, member)",
        ),
        ("order.paid", "size(1) > 0", 1, 6, "size() needs a string, list or map, not int"),
        ("order.paid", "member.tier.startsWith(1)", 1, 24, "startsWith() needs a string, not int"),
        ("order.paid", "nosuch(order) == 1", 1, 1, "unknown function nosuch()"),
    ],
)
def test_type_errors_are_refused_with_their_position(
    trigger: str, condition: str, line: int, column: int, message: str
) -> None:
    problem = cel.check(condition, trigger)

    assert problem is not None
    assert (problem.line, problem.column, problem.message) == (line, column, message)


@pytest.mark.parametrize(
    ("trigger", "condition"),
    [
        ("order.paid", 'order.paid_amount >= 20000 && member.tier == "gold"'),
        ("order.paid", "size(order.lines) >= 2 && order.lines[0].quantity > 1"),
        ("order.paid", 'order.lines.exists(l, l.category == "tea" && l.sku.startsWith("T"))'),
        ("order.paid", '"WELCOME" in order.coupon_codes || member.tier in ["gold", "diamond"]'),
        ("order.paid", "member.registered_at.getFullYear() < 2020 && !member.has_birthday"),
        ("order.paid", 'event.type == "order.paid" ? order.goods_paid > 100 : false'),
        # event.data is free-form: any field, checked only at run time (the documented limit)
        ("review.posted", "has(event.data.has_photos) && event.data.has_photos"),
        ("custom.quiz_done", "event.data.score >= 80 && event.data.anything.goes == 1"),
        ("checkin", 'member.gender == "female"'),
    ],
)
def test_well_typed_conditions_pass(trigger: str, condition: str) -> None:
    assert cel.check(condition, trigger) is None


@pytest.mark.django_db
def test_saving_a_rule_with_an_unknown_field_is_refused_with_the_position(shop: Shop) -> None:
    with pytest.raises(PatronError) as caught:
        rule_services.rule_create(
            shop=shop,
            name="big orders",
            trigger="order.paid",
            fields={"points_per_yuan": 1, "condition": "order.paid_amout >= 20000"},
        )

    assert caught.value.field == "condition"
    assert caught.value.errors[0]["line"] == 1
    assert caught.value.errors[0]["column"] == 7
    assert "paid_amout" in caught.value.errors[0]["message"]
    assert not EarningRule.objects.exists()


@pytest.mark.django_db
def test_a_new_version_is_checked_against_the_rule_s_own_trigger(shop: Shop) -> None:
    rule = rule_services.rule_create(
        shop=shop, name="check-in", trigger="checkin", fields={"points": 5}
    )

    with pytest.raises(PatronError) as caught:
        rule_services.rule_update(rule=rule, fields={"condition": "order.paid_amount > 1"})

    assert caught.value.errors[0]["message"] == (
        "unknown variable 'order' (this rule has: event, member)"
    )
    assert rule.versions.count() == 1


def test_the_position_is_the_same_in_zh_hans_and_the_message_is_translated() -> None:
    with translation.override("zh-hans"):
        problem = cel.check("order.nope > 1", "order.paid")
        assert problem is not None
        assert (problem.line, problem.column) == (1, 7)
        assert str(problem.message).startswith("order 没有字段 'nope'（可用字段：")
