"""The rules app on its own: CEL conditions (evaluation, errors with their
position) and the versions a rule keeps."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.rules import cel, selectors, services
from patron.rules.models import EarningRule, EarningRuleVersion

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def shop(db: None) -> Shop:
    clock.freeze(T0)
    return Shop.objects.create(name="Rules shop")


# --- CEL evaluation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "activation", "holds"),
    [
        ("", {}, True),  # empty: always
        ("   ", {}, True),
        ("order.paid_amount >= 10000", {"order": {"paid_amount": 10000}}, True),
        ("order.paid_amount >= 10000", {"order": {"paid_amount": 9999}}, False),
        ('member.tier == "gold"', {"member": {"tier": "gold"}}, True),
        ('"shoes" in order.categories', {"order": {"categories": ["shoes", "hats"]}}, True),
        ('"bags" in order.categories', {"order": {"categories": ["shoes"]}}, False),
        (
            "member.has_birthday && order.items > 1",
            {"member": {"has_birthday": True}, "order": {"items": 2}},
            True,
        ),
        ("data.rating >= 4.5", {"data": {"rating": 4.5}}, True),
    ],
)
def test_a_condition_holds_or_not(expression: str, activation: dict, holds: bool) -> None:
    assert cel.evaluate(1, expression, activation) is holds


def test_a_run_time_error_means_the_condition_does_not_hold() -> None:
    # A missing key and a type mismatch are errors in CEL: the rule does not apply.
    assert cel.evaluate(2, "order.missing > 1", {"order": {}}) is False
    assert cel.evaluate(3, 'order.paid_amount > "x"', {"order": {"paid_amount": 1}}) is False


def test_a_condition_that_is_not_a_boolean_does_not_hold() -> None:
    assert cel.evaluate(4, "order.paid_amount", {"order": {"paid_amount": 5}}) is False


def test_python_values_become_cel_values() -> None:
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    assert cel.evaluate(5, "at > timestamp('2026-01-01T00:00:00Z')", {"at": at}) is True
    assert cel.evaluate(6, 'day == "2026-03-01"', {"day": at.date()}) is True
    assert cel.evaluate(7, "x == null", {"x": None}) is True


# --- Errors with their position ----------------------------------------------------


def test_check_names_the_line_and_column_of_a_syntax_error() -> None:
    problem = cel.check('member.tier == "gold" &&\n  order.paid_amount >= )')
    assert problem is not None
    assert problem.line == 2
    assert problem.column >= 1
    assert str(problem).startswith("line 2, column ")


def test_a_valid_expression_has_no_problem() -> None:
    assert cel.check('member.tier in ["gold", "diamond"]') is None


def test_validate_raises_a_field_error_with_the_position() -> None:
    with pytest.raises(PatronError) as caught:
        cel.validate("order.paid_amount >=", field="condition")
    error = caught.value
    assert error.code == ErrorCode.VALIDATION_ERROR
    assert error.field == "condition"
    (detail,) = error.errors
    assert detail["field"] == "condition"
    assert detail["line"] == 1 and detail["column"] >= 1


def test_a_rule_with_a_broken_condition_is_not_saved(shop: Shop) -> None:
    with pytest.raises(PatronError) as caught:
        services.rule_create(
            shop=shop,
            name="Broken",
            trigger="order.paid",
            fields={"points_per_yuan": 1, "condition": "order.paid_amount >="},
        )
    assert caught.value.field == "condition"
    assert not EarningRule.objects.exists()


# --- Versions -------------------------------------------------------------------------


def test_an_update_adds_a_version_and_keeps_the_old_one(shop: Shop) -> None:
    rule = services.rule_create(
        shop=shop, name="Base", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    v2 = services.rule_update(rule=rule, fields={"points_per_yuan": 2})
    rule.refresh_from_db()

    assert rule.current_version_id == v2.pk
    assert list(rule.versions.order_by("version").values_list("version", "points_per_yuan")) == [
        (1, 1),
        (2, 2),
    ]


def test_an_update_carries_the_unchanged_settings_over(shop: Shop) -> None:
    rule = services.rule_create(
        shop=shop,
        name="Gold",
        trigger="order.paid",
        fields={"points_per_yuan": 1, "tier_multipliers": {"gold": 150}},
    )
    v2 = services.rule_update(rule=rule, fields={"points_per_yuan": 3})
    assert (v2.points_per_yuan, v2.tier_multipliers) == (3, {"gold": 150})


def test_a_refused_update_adds_no_version(shop: Shop) -> None:
    rule = services.rule_create(
        shop=shop, name="Base", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    with pytest.raises(PatronError) as caught:
        services.rule_update(rule=rule, fields={"tier_multipliers": {"gold": 10_001}})
    assert caught.value.field == "tier_multipliers"
    assert EarningRuleVersion.objects.filter(rule=rule).count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"nonsense": 1}, "nonsense"),
        ({"points": -1}, "points"),
        ({"points": True}, "points"),
        ({"spend_step_yuan": 0}, "spend_step_yuan"),
        ({"member_day_of_month": 32}, "member_day_of_month"),
        ({"campaign_multiplier": 200}, "campaign_starts_at"),
        ({"streak_bonuses": {"0": 5}}, "streak_bonuses"),
        ({"starts_at": T0, "ends_at": T0}, "ends_at"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(fields: dict, field: str) -> None:
    with pytest.raises(PatronError) as caught:
        services.version_fields_clean(fields)
    assert caught.value.field == field


def test_an_unknown_trigger_is_refused_and_a_custom_one_is_not() -> None:
    with pytest.raises(PatronError) as caught:
        services.trigger_validate("order.exploded")
    assert caught.value.field == "trigger"
    assert services.trigger_validate(" custom.quiz_done ") == "custom.quiz_done"


def test_versions_in_force_are_the_current_versions_of_active_rules_in_their_window(
    shop: Shop,
) -> None:
    always = services.rule_create(
        shop=shop, name="Always", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    services.rule_update(rule=always, fields={"points_per_yuan": 2})
    services.rule_create(
        shop=shop,
        name="Later",
        trigger="order.paid",
        fields={"points_per_yuan": 5, "starts_at": T0 + dt.timedelta(days=1)},
    )
    off = services.rule_create(
        shop=shop, name="Off", trigger="order.paid", fields={"points_per_yuan": 9}
    )
    services.rule_set_active(rule=off, is_active=False)
    services.rule_create(shop=shop, name="Share", trigger="link.shared", fields={"points": 3})

    now = selectors.versions_in_force(shop=shop, trigger="order.paid", at=T0)
    tomorrow = selectors.versions_in_force(
        shop=shop, trigger="order.paid", at=T0 + dt.timedelta(days=2)
    )

    assert [(v.rule.name, v.version, v.points_per_yuan) for v in now] == [("Always", 2, 2)]
    assert [v.rule.name for v in tomorrow] == ["Always", "Later"]
