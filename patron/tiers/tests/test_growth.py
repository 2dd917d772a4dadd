"""Growth value accrues by each weight and refunds take it back exactly."""

from __future__ import annotations

import pytest

from patron.core import clock
from patron.members.models import Member
from patron.tiers import selectors
from patron.tiers.models import GrowthEntry, GrowthMonth, TierProgram
from patron.tiers.tests.conftest import Sender, effects_of, set_program

pytestmark = pytest.mark.django_db


def test_spend_weight_gives_whole_growth_per_yuan_rounded_down(
    program: TierProgram, member: Member, send: Sender
) -> None:
    set_program(program, growth_per_yuan=2, growth_per_order=0)

    result = send.pay("O1", 12345)

    assert selectors.growth_value(member, program) == 246  # 123.45 yuan x 2, rounded down
    assert effects_of(result, "growth.changed") == [
        {"type": "growth.changed", "delta": 246, "growth_value": 246}
    ]
    entry = GrowthEntry.objects.get(member=member)
    assert (entry.kind, entry.value, entry.basis, entry.weight) == ("spend", 246, 12345, 2)


def test_order_weight_counts_each_order(program: TierProgram, member: Member, send: Sender) -> None:
    set_program(program, growth_per_yuan=0, growth_per_order=7)

    send.pay("O1", 100)
    send.pay("O2", 50000)

    assert selectors.growth_value(member, program) == 14


def test_review_and_activity_weights(program: TierProgram, member: Member, send: Sender) -> None:
    set_program(program, growth_per_review=5, growth_per_activity=3)

    send("review.posted", {"review_id": "R1"})
    send("link.shared", {"url": "https://example.com"})
    send("custom.live_stream", {"minutes": 30})

    assert selectors.growth_value(member, program) == 5 + 3 + 3
    assert sorted(GrowthEntry.objects.values_list("kind", "value")) == [
        ("activity", 3),
        ("activity", 3),
        ("review", 5),
    ]


def test_a_review_resent_under_a_new_event_id_counts_once(
    program: TierProgram, member: Member, send: Sender
) -> None:
    set_program(program, growth_per_review=5)
    first = send("review.posted", {"review_id": "RV1", "order_id": "X"})

    again = send("review.posted", {"review_id": "RV1", "order_id": "X"})
    other = send("review.posted", {"review_id": "RV2"})

    assert selectors.growth_value(member, program) == 10
    assert effects_of(again, "growth.changed") == []
    assert effects_of(other, "growth.changed") == [
        {"type": "growth.changed", "delta": 5, "growth_value": 10}
    ]
    assert sorted(GrowthEntry.objects.values_list("kind", "value", "event_id")) == sorted(
        [("review", 5, first["id"]), ("review", 5, other["id"])]
    )


def test_the_same_review_id_counts_for_each_member(
    program: TierProgram, member: Member, send: Sender
) -> None:
    now = clock.now()
    Member.objects.create(
        shop=member.shop, external_id="M2", registered_at=now, created_at=now, updated_at=now
    )
    send("review.posted", {"review_id": "RV1"})
    send("review.posted", {"review_id": "RV1"}, member="M2")

    assert sorted(GrowthEntry.objects.values_list("member__external_id", "value")) == [
        ("M1", 5),
        ("M2", 5),
    ]


def test_partial_then_full_refund_takes_back_exactly_what_the_order_earned(
    program: TierProgram, member: Member, send: Sender
) -> None:
    # defaults: 1 per yuan, 10 per order
    send.pay("O1", 6001, 4000)  # 100.01 yuan -> 100 + 10
    assert selectors.growth_value(member, program) == 110

    partial = send.refund("O1", "R1", ["L2"])

    # 60.01 yuan left -> 60: the refund takes 40; the order still counts
    assert effects_of(partial, "growth.changed")[0]["delta"] == -40
    assert selectors.growth_value(member, program) == 70

    send.refund("O1", "R2")

    assert selectors.growth_value(member, program) == 0
    assert list(GrowthMonth.objects.values_list("value", flat=True)) == [0]


def test_cancelled_paid_order_gives_back_its_growth(
    program: TierProgram, member: Member, send: Sender
) -> None:
    send.pay("O1", 30000)
    send.pay("O2", 5000)

    send("order.cancelled", {"order_id": "O1"})

    assert selectors.growth_value(member, program) == 50 + 10


def test_refund_uses_the_weight_the_order_earned_with(
    program: TierProgram, member: Member, send: Sender
) -> None:
    set_program(program, growth_per_yuan=3, growth_per_order=0)
    send.pay("O1", 10000)  # 300
    set_program(program, growth_per_yuan=1)

    send.refund("O1", "R1")

    assert selectors.growth_value(member, program) == 0


def _pay_with_shipping(send: Sender, order_id: str, shipping: int) -> dict:
    """¥99 and ¥100 of goods plus ``shipping``."""
    lines = [
        {"line_id": "L1", "sku": "S1", "quantity": 1, "unit_price": 9900},
        {"line_id": "L2", "sku": "S2", "quantity": 1, "unit_price": 10000},
    ]
    return send(
        "order.paid",
        {
            "order_id": order_id,
            "lines": lines,
            "paid_amount": 19900 + shipping,
            "shipping_fee": shipping,
        },
    )


def test_growth_counts_what_points_count_goods_without_shipping(
    program: TierProgram, member: Member, send: Sender
) -> None:
    from patron.points.models import PointsAccount
    from patron.points.tests.conftest import make_rule

    make_rule(member.shop, points_per_yuan=1)
    # defaults: 1 growth per yuan, 10 per order
    result = _pay_with_shipping(send, "O1", 1000)

    assert PointsAccount.objects.get(member=member).pending == 199
    assert selectors.growth_value(member, program) == 199 + 10
    spend = GrowthEntry.objects.get(member=member, kind="spend")
    assert (spend.value, spend.basis) == (199, 19900)
    assert effects_of(result, "growth.changed")[0]["delta"] == 209

    # A refund of one line leaves the other's goods; the last refund, all
    send.refund("O1", "R1", ["L1"])
    assert selectors.growth_value(member, program) == 100 + 10
    send.refund("O1", "R2")
    assert selectors.growth_value(member, program) == 0


def test_a_programme_may_count_shipping_towards_growth(
    program: TierProgram, member: Member, send: Sender
) -> None:
    set_program(program, growth_includes_shipping=True)

    _pay_with_shipping(send, "O1", 1000)

    assert selectors.growth_value(member, program) == 209 + 10
    send.refund("O1", "R1", ["L1"])
    assert selectors.growth_value(member, program) == 110 + 10
    # The order keeps the base it earned on when the setting changes
    set_program(program, growth_includes_shipping=False)
    send.refund("O1", "R2")
    assert selectors.growth_value(member, program) == 0


def test_a_backdated_order_counts_in_the_month_it_was_paid(
    program: TierProgram, member: Member, shop
) -> None:
    import datetime as dt

    from patron.events import services as event_services
    from patron.tiers.tests.conftest import SH

    paid_at = dt.datetime(2024, 5, 1, 9, 0, tzinfo=SH)
    event_services.event_ingest(
        shop=shop,
        raw={
            "id": "late-1",
            "type": "order.paid",
            "member": "M1",
            "occurred_at": paid_at.isoformat(),
            "data": {
                "order_id": "OLD",
                "lines": [{"line_id": "L1", "sku": "S", "quantity": 1, "unit_price": 500000}],
                "paid_amount": 500000,
            },
        },
    )
    entry = GrowthEntry.objects.get(member=member, kind="spend")
    assert (entry.month, entry.occurred_at) == (dt.date(2024, 5, 1), paid_at)
    assert list(GrowthMonth.objects.values_list("month", "value")) == [
        (dt.date(2024, 5, 1), 5000 + 10)
    ]
    # Long out of the twelve-month window: it lifts no tier today
    assert selectors.growth_value(member, program) == 0
