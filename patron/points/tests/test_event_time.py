"""Earning, pending activation and expiry follow the event's own time
(``occurred_at``), not when it arrived: an offline till sending yesterday's
sales, a shop catching up after an outage, a history backfill."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from patron.core import clock
from patron.points import selectors, services
from patron.points.models import ExpiryPolicy, LedgerEntry, LotState, PointsAccount, PointsLot
from patron.points.selectors import ledger_mismatches
from patron.points.services.ledger import Refs, account_lock, do_debit, local_midnight
from patron.points.tests.conftest import effects, make_rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_mismatches() == []


def at(year: int, month: int, day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SHANGHAI)


def paid(send: Any, order_id: str, when: dt.datetime, price: int = 10000, **extra: Any) -> Any:
    data = {
        "order_id": order_id,
        "lines": [{"line_id": "L1", "sku": "A", "quantity": 1, "unit_price": price}],
        "paid_amount": price,
        **extra,
    }
    return send("order.paid", data=data, at=when)


def lot_of(order_id: str) -> PointsLot:
    return PointsLot.objects.get(order__external_id=order_id)


def balances(member):
    acc = PointsAccount.objects.get(member=member)
    return acc.available, acc.pending, acc.debt, acc.lifetime_earned


def test_backdated_order_points_expire_with_the_year_they_were_earned(shop, member, send, program):
    # Today is 10 March 2026; the calendar rule keeps points through the end
    # of the year after the one they were earned in.
    make_rule(shop, points_per_yuan=1)
    paid(send, "OLD", at(2024, 5, 1))
    paid(send, "LATER", at(2025, 2, 1), price=20000)
    old, later = lot_of("OLD"), lot_of("LATER")
    assert old.earned_at == at(2024, 5, 1)
    assert old.expires_at == local_midnight(dt.date(2026, 1, 1))
    assert later.expires_at == local_midnight(dt.date(2027, 1, 1))


def test_backdated_completion_activates_at_once_and_past_due_points_expire_at_the_next_run(
    shop, member, send, program
):
    make_rule(shop, points_per_yuan=1)
    paid(send, "OLD", at(2024, 5, 1))
    paid(send, "LATER", at(2025, 2, 1), price=20000)
    done = send("order.completed", data={"order_id": "OLD"}, at=at(2024, 5, 5))
    # The return window ran from the completion's own time: long over.
    assert effects(done, "points.scheduled")[0]["available_at"] == at(2024, 5, 12).isoformat()
    assert effects(done, "points.activated")[0]["points"] == 100
    send("order.completed", data={"order_id": "LATER"}, at=at(2025, 2, 5))
    assert balances(member) == (300, 0, 0, 300)
    # OLD's points were due on 1 January 2026, before they arrived: the next
    # run takes them; LATER's last until the end of 2026.
    assert services.lots_expire_due() == (1, 100)
    assert lot_of("OLD").state == LotState.EXPIRED
    assert lot_of("LATER").state == LotState.AVAILABLE
    assert balances(member) == (200, 0, 0, 300)


def test_earliest_expiring_first_between_backdated_lots(shop, member, send, program):
    make_rule(shop, points_per_yuan=1)
    # Arrive newest first: the older order's points expire a year sooner.
    paid(send, "NEWER", at(2026, 1, 15))
    paid(send, "OLDER", at(2025, 6, 1), price=20000)
    send("order.completed", data={"order_id": "NEWER"}, at=at(2026, 1, 20))
    send("order.completed", data={"order_id": "OLDER"}, at=at(2025, 6, 5))
    with transaction.atomic():
        entry = do_debit(account_lock(member=member), points=150, kind="redeem", refs=Refs("test"))
    drawn = {
        d.lot.order.external_id if d.lot.order else "": d.points
        for d in entry.draws.select_related("lot__order")
    }
    assert drawn == {"OLDER": 150}


def test_rolling_expiry_counts_from_when_points_become_available(shop, member, send, program, t0):
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 12
    program.save()
    make_rule(shop, points_per_yuan=1)
    paid(send, "O1", t0)
    # Pending: when they expire is not known until they become available.
    assert lot_of("O1").expires_at is None
    # A long delivery: completed two months later, available a week after.
    clock.freeze(at(2026, 5, 9, 10))
    send("order.completed", data={"order_id": "O1"})
    clock.freeze(at(2026, 5, 16, 11))
    assert services.pending_activate_due() == 1
    lot = lot_of("O1")
    assert lot.available_at == at(2026, 5, 16, 10)
    # Usable through 16 May 2027, twelve months after they became available.
    assert lot.expires_at == local_midnight(dt.date(2027, 5, 17))
    assert selectors.balance(member=member)["expiring"] == [{"date": "2027-05-16", "points": 100}]


def test_rolling_expiry_of_a_backdated_completion_counts_from_its_activation(
    shop, member, send, program
):
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 3
    program.save()
    make_rule(shop, points_per_yuan=1)
    paid(send, "O1", at(2025, 9, 1))
    send("order.completed", data={"order_id": "O1"}, at=at(2025, 9, 20))
    # Available from 27 September 2025, usable through 27 December 2025.
    assert lot_of("O1").expires_at == local_midnight(dt.date(2025, 12, 28))
    assert services.lots_expire_due() == (1, 100)


def test_backdated_actions_expire_by_their_own_time(shop, member, send, program):
    make_rule(shop, "custom.shared", points=50)
    send("custom.shared", at=at(2024, 12, 31, 23))
    lot = PointsLot.objects.get()
    assert (lot.earned_at, lot.available_at) == (at(2024, 12, 31, 23), at(2024, 12, 31, 23))
    assert lot.expires_at == local_midnight(dt.date(2026, 1, 1))


def test_points_given_back_by_a_backdated_refund_expire_by_the_refunds_time(
    shop, member, send, program
):
    make_rule(shop, "custom.grant", points=500)
    send("custom.grant", at=at(2025, 11, 1))
    make_rule(shop, points_per_yuan=1)
    paid(send, "O1", at(2025, 12, 20), points_used=300, points_amount=3, paid_amount=9700)
    send("order.refunded", data={"order_id": "O1", "refund_id": "R1"}, at=at(2025, 12, 22))
    returned = LedgerEntry.objects.get(reason_code="points_returned").lot
    assert returned is not None and returned.points == 300
    assert returned.earned_at == at(2025, 12, 22)
    assert returned.expires_at == local_midnight(dt.date(2027, 1, 1))
