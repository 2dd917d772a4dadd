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
