"""Pending activation, cancellation, refunds (pending and spent, both debt
policies), points paid with returned pro rata, and expiry of each kind."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.members.models import Member
from patron.points import selectors, services
from patron.points.models import (
    DebtPolicy,
    ExpiryPolicy,
    LedgerEntry,
    LotState,
    PointsAccount,
    PointsLot,
)
from patron.points.reasons import render_reason
from patron.points.selectors import ledger_mismatches
from patron.points.tests.conftest import effects, make_rule

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def balances(member):
    acc = PointsAccount.objects.get(member=member)
    return acc.available, acc.pending, acc.debt, acc.lifetime_earned


@pytest.fixture(autouse=True)
def _ledger_stays_consistent(db):
    yield
    assert ledger_mismatches() == []


def grant(member, points):
    """Available points through an action rule the test sets up."""
    from patron.points.services import action_earn

    return action_earn(member=member, trigger="custom.grant", data={}, at=clock.now())


def test_pending_until_completion_plus_return_window(shop, member, send, program):
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    services.pending_activate_due()
    assert balances(member) == (0, 100, 0, 100)  # not completed: stays pending
    clock.advance(dt.timedelta(days=3))
    done = send("order.completed", data={"order_id": "O1"})
    assert effects(done, "points.scheduled")[0]["points"] == 100
    clock.advance(dt.timedelta(days=7) - dt.timedelta(seconds=1))
    assert services.pending_activate_due() == 0
    assert balances(member) == (0, 100, 0, 100)
    clock.advance(dt.timedelta(seconds=1))
    assert services.pending_activate_due() == 1
    assert balances(member) == (100, 0, 0, 100)
    assert services.pending_activate_due() == 0


def test_zero_day_window_activates_on_completion(shop, member, send, program):
    program.return_window_days = 0
    program.save()
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    done = send("order.completed", data={"order_id": "O1"})
    assert effects(done, "points.activated")[0]["points"] == 100
    assert balances(member) == (100, 0, 0, 100)


def test_every_entry_of_an_order_records_its_rule_and_event(shop, member, send, program):
    """Earn, activate (by the completion event and by the job) and reverse all
    name the rule and version the points came from, and the event that moved
    them, so history can always say which rule a point belongs to."""
    program.return_window_days = 0
    program.save()
    rule = make_rule(shop, points_per_yuan=1)
    version = rule.current_version
    assert version is not None
    send.paid("O1", [("A", 1, 10000)])
    done = send("order.completed", data={"order_id": "O1"})["id"]
    program.return_window_days = 7
    program.save()
    send.paid("O2", [("B", 1, 5000)])
    send("order.completed", data={"order_id": "O2"})
    clock.advance(dt.timedelta(days=8))
    assert services.pending_activate_due() == 1
    refund = send.refund("O1", "R1")["id"]
    rows = list(
        LedgerEntry.objects.order_by("pk").values_list(
            "kind", "order__external_id", "rule_id", "rule_version_id", "event__external_id"
        )
    )
    earn1, activate1, earn2, activate2, reverse1 = rows
    assert earn1[2:4] == earn2[2:4] == (rule.pk, version.pk)
    assert activate1 == ("activate", "O1", rule.pk, version.pk, done)
    assert activate2 == ("activate", "O2", rule.pk, version.pk, None)  # the job: no event
    assert reverse1 == ("reverse", "O1", rule.pk, version.pk, refund)


def test_cancel_before_activation_removes_pending_points(shop, member, send):
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    result = send("order.cancelled", data={"order_id": "O1"})
    assert effects(result, "points.reversed")[0]["points"] == -100
    assert balances(member) == (0, 0, 0, 0)
    assert PointsLot.objects.get().state == LotState.CANCELLED


def test_partial_refund_while_pending_reverses_exactly_those_units(shop, member, send):
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 3, 3333), ("B", 1, 3000)])  # L1 99 (99.99), L2 30: total 129
    assert balances(member) == (0, 129, 0, 129)
    # One of three units of L1: floor(99×1/3) = 33
    r1 = send.refund("O1", "R1", {"L1": 1})
    assert effects(r1, "points.reversed")[0]["points"] == -33
    assert balances(member) == (0, 96, 0, 96)
    # Two more units of L1: floor(99×3/3) − 33 = 66 (units add up exactly)
    send.refund("O1", "R2", {"L1": 2})
    assert balances(member) == (0, 30, 0, 30)
    # The rest of the order
    send.refund("O1", "R3")
    assert balances(member) == (0, 0, 0, 0)


def test_line_attribution_uneven_units_add_up(shop, member, send):
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 3, 1000)])  # 30 points over 3 units -> 10 each
    send.refund("O1", "R1", {"L1": 1})
    send.refund("O1", "R2", {"L1": 1})
    send.refund("O1", "R3", {"L1": 1})
    assert balances(member) == (0, 0, 0, 0)
    assert list(LedgerEntry.objects.filter(kind="reverse").values_list("points", flat=True)) == [
        -10,
        -10,
        -10,
    ]


def _earned_then_spent(shop, member, send, program, policy):
    """O1 earns 130 (activated); 120 of them pay for O2; returns after setup."""
    program.debt_policy = policy
    program.return_window_days = 0
    program.save()
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 2, 5000), ("B", 1, 3000)])  # L1 100, L2 30
    send("order.completed", data={"order_id": "O1"})
    assert balances(member) == (130, 0, 0, 130)
    # O2: ¥100 of goods, 120 points pay ¥1.20, ¥98.80 paid -> 98 pending
    send.paid("O2", [("C", 1, 10000)], paid_amount=9880, points_used=120)
    assert balances(member) == (10, 98, 0, 228)


def test_refund_of_spent_points_floor_zero(shop, member, send, program):
    _earned_then_spent(shop, member, send, program, DebtPolicy.FLOOR_ZERO)
    # Refunding L1 takes back its 100 points: 10 left on the lot, 90 were spent
    result = send.refund("O1", "R1", {"L1": 2})
    reversed_ = effects(result, "points.reversed")[0]
    assert reversed_["points"] == -100 and reversed_["forgiven"] == 90
    assert balances(member) == (0, 98, 0, 128)


def test_refund_of_spent_points_becomes_debt_repaid_by_later_earnings(shop, member, send, program):
    _earned_then_spent(shop, member, send, program, DebtPolicy.ALLOW_DEBT)
    result = send.refund("O1", "R1", {"L1": 2})
    assert effects(result, "points.reversed")[0]["debt"] == 90
    assert balances(member) == (0, 98, 90, 128)
    # O2's 98 pending points activate: 90 repay the debt, 8 become available
    send("order.completed", data={"order_id": "O2"})
    assert balances(member) == (8, 0, 0, 128)
    activate = LedgerEntry.objects.get(kind="activate", order__external_id="O2")
    assert activate.reason_params["debt_repaid"] == 90


@pytest.mark.parametrize(
    ("policy", "after", "key"),
    [
        (DebtPolicy.FLOOR_ZERO, (0, 98, 0, 98), "forgiven"),
        (DebtPolicy.ALLOW_DEBT, (0, 98, 120, 98), "debt"),
    ],
)
def test_full_refund_of_spent_points(shop, member, send, program, policy, after, key):
    _earned_then_spent(shop, member, send, program, policy)
    # All 130 go: the 10 left on O1's lot, and the 120 spent on O2 by the policy.
    reversed_ = effects(send.refund("O1", "R1"), "points.reversed")
    assert sum(r["points"] for r in reversed_) == -130
    assert sum(r.get(key, 0) for r in reversed_) == 120
    assert balances(member) == after
    assert PointsLot.objects.get(order__external_id="O1").remaining == 0


def test_refund_returns_points_used_pro_rata_per_unit(shop, member, send, program):
    program.return_window_days = 0
    program.save()
    make_rule(shop, "custom.grant", points=1000)
    send("custom.grant")
    # X 3×¥20, Y 1×¥40: 100 points used split 60/40 by line amount
    send.paid("O1", [("X", 3, 2000), ("Y", 1, 4000)], paid_amount=9900, points_used=100)
    assert balances(member) == (900, 0, 0, 1000)
    r1 = send.refund("O1", "R1", {"L1": 1})
    assert effects(r1, "points.returned")[0]["points"] == 20
    r2 = send.refund("O1", "R2", {"L2": 1})
    assert effects(r2, "points.returned")[0]["points"] == 40
    r3 = send.refund("O1", "R3")
    assert effects(r3, "points.returned")[0]["points"] == 40
    assert balances(member) == (1000, 0, 0, 1000)


def test_order_paid_with_more_points_than_available_is_refused(shop, member, send):
    make_rule(shop, points_per_yuan=1)
    with pytest.raises(PatronError) as caught:
        send.paid("O1", [("A", 1, 10000)], paid_amount=9900, points_used=100)
    assert caught.value.code == "insufficient_points"
    assert caught.value.status == 409
    assert LedgerEntry.objects.count() == 0


def test_spending_takes_earliest_expiring_lot_first(shop, member, program):
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 12
    program.save()
    make_rule(shop, "custom.grant", points=100)
    services.action_earn(member=member, trigger="custom.grant", data={}, at=clock.now())
    clock.advance(dt.timedelta(days=40))
    services.action_earn(member=member, trigger="custom.grant", data={}, at=clock.now())
    from patron.points.services.ledger import Refs, account_lock, do_debit

    with pytest.MonkeyPatch.context():
        from django.db import transaction

        with transaction.atomic():
            acc = account_lock(member=member)
            entry = do_debit(acc, points=130, kind="redeem", refs=Refs(reason_code="test"))
    draws = list(entry.draws.order_by("lot__expires_at").values_list("points", flat=True))
    assert draws == [100, 30]
    assert sorted(PointsLot.objects.values_list("remaining", flat=True)) == [0, 70]


# --- expiry --------------------------------------------------------------


def _earn_100(shop, member):
    make_rule(shop, "custom.grant", points=100)
    services.action_earn(member=member, trigger="custom.grant", data={}, at=clock.now())


def test_expiry_never(shop, member, program):
    program.expiry_policy = ExpiryPolicy.NEVER
    program.save()
    _earn_100(shop, member)
    clock.advance(dt.timedelta(days=3650))
    assert services.lots_expire_due() == (0, 0)
    assert balances(member) == (100, 0, 0, 100)
    assert selectors.balance(member=member)["expiring"] == []


def test_expiry_n_months_after_earning(shop, member, program, t0):
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 12
    program.save()
    _earn_100(shop, member)  # earned 10 March 2026 (Shanghai)
    assert selectors.balance(member=member)["expiring"] == [{"date": "2027-03-10", "points": 100}]
    clock.freeze(dt.datetime(2027, 3, 10, 23, 59, tzinfo=SHANGHAI))
    assert services.lots_expire_due() == (0, 0)
    clock.freeze(dt.datetime(2027, 3, 11, 0, 0, tzinfo=SHANGHAI))
    assert services.lots_expire_due() == (1, 100)
    assert balances(member) == (0, 0, 0, 100)
    assert LedgerEntry.objects.get(kind="expire").points == -100
    assert services.lots_expire_due() == (0, 0)


def test_one_expiry_entry_per_account_and_run_names_its_lots(shop, member, program, send, t0):
    """Three lots due at once: one history line for their sum, and the lots
    stamped with that line's time; another member's lot gets its own line."""
    from django.db import transaction

    from patron.points.services.ledger import Refs, account_lock, do_credit

    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 1
    program.save()
    other = Member.objects.create(
        shop=shop, external_id="M2", registered_at=t0, created_at=t0, updated_at=t0
    )
    with transaction.atomic():
        for who, points in [(member, 10), (member, 20), (member, 30), (other, 5)]:
            do_credit(
                account_lock(member=who),
                points=points,
                kind="adjust",
                refs=Refs("adjust", {"note": "t"}),
                expires_at=t0 + dt.timedelta(days=1),
            )
    clock.freeze(t0 + dt.timedelta(days=2))
    assert services.lots_expire_due() == (4, 65)
    entries = list(LedgerEntry.objects.filter(kind="expire").order_by("points"))
    assert [(e.account.member.external_id, e.points, e.reason_params) for e in entries] == [
        ("M1", -60, {"lots": 3}),
        ("M2", -5, {"lots": 1}),
    ]
    mine = entries[0]
    taken = PointsLot.objects.filter(account=mine.account, expired_at=mine.created_at)
    assert sorted(taken.values_list("expired_points", flat=True)) == [10, 20, 30]
    assert balances(member) == (0, 0, 0, 60)


def test_expiry_end_of_next_calendar_year_after_partial_spend(shop, member, program):
    program.expiry_policy = ExpiryPolicy.YEAR_END_NEXT
    program.save()
    _earn_100(shop, member)  # 2026 -> valid through 31 December 2027
    from django.db import transaction

    from patron.points.services.ledger import Refs, account_lock, do_debit

    with transaction.atomic():
        do_debit(account_lock(member=member), points=30, kind="redeem", refs=Refs("test"))
    assert selectors.balance(member=member)["expiring"] == []  # more than 12 months away
    clock.freeze(dt.datetime(2027, 6, 1, tzinfo=SHANGHAI))
    assert selectors.balance(member=member)["expiring"] == [{"date": "2027-12-31", "points": 70}]
    clock.freeze(dt.datetime(2027, 12, 31, 23, 59, 59, tzinfo=SHANGHAI))
    assert services.lots_expire_due() == (0, 0)
    clock.freeze(dt.datetime(2028, 1, 1, 0, 0, tzinfo=SHANGHAI))
    assert services.lots_expire_due() == (1, 70)
    assert balances(member) == (0, 0, 0, 100)


def test_refund_of_points_that_already_expired_only_lowers_lifetime(shop, member, send, program):
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 1
    program.return_window_days = 0
    program.save()
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    send("order.completed", data={"order_id": "O1"})
    clock.advance(dt.timedelta(days=40))
    assert services.lots_expire_due() == (1, 100)
    result = send.refund("O1", "R1")
    assert effects(result, "points.reversed")[0]["already_expired"] == 100
    assert balances(member) == (0, 0, 0, 0)


def _spent_then_expired(shop, member, send, program, policy):
    """O1 earns 100 (two lines of 50); 60 of them pay for O2 (which earns 99,
    left pending); the other 40 expire; O3's 30 points are then available."""
    program.expiry_policy = ExpiryPolicy.MONTHS
    program.expiry_months = 1
    program.return_window_days = 0
    program.debt_policy = policy
    program.save()
    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 5000), ("B", 1, 5000)])
    send("order.completed", data={"order_id": "O1"})
    send.paid("O2", [("C", 1, 10000)], paid_amount=9940, points_used=60)
    assert balances(member) == (40, 99, 0, 199)
    clock.advance(dt.timedelta(days=40))
    assert services.lots_expire_due() == (1, 40)
    send.paid("O3", [("D", 1, 3000)])
    send("order.completed", data={"order_id": "O3"})
    assert balances(member) == (30, 99, 0, 229)


@pytest.mark.parametrize(
    ("policy", "after", "words"),
    [
        # L2's 50 were all spent: 20 come back from O3's lot, 30 are waived ...
        (DebtPolicy.FLOOR_ZERO, (0, 99, 0, 129), "30 already spent, waived"),
        # ... or owed.
        (DebtPolicy.ALLOW_DEBT, (0, 99, 30, 129), "30 already spent, recorded as debt"),
    ],
)
def test_refund_of_a_lot_spent_before_the_rest_expired(
    shop, member, send, program, policy, after, words
):
    _spent_then_expired(shop, member, send, program, policy)
    # L1's 50 count against the 40 that expired first (only lifetime goes
    # down), then 10 the member spent, taken from O3's lot.
    first = effects(send.refund("O1", "R1", {"L1": 1}), "points.reversed")[0]
    assert (first["points"], first["already_expired"]) == (-50, 40)
    assert "forgiven" not in first and "debt" not in first
    assert balances(member) == (20, 99, 0, 179)
    second = effects(send.refund("O1", "R2", {"L2": 1}), "points.reversed")[0]
    assert second["points"] == -50 and "already_expired" not in second
    assert second.get("forgiven", second.get("debt")) == 30
    assert balances(member) == after
    history = {
        e.pk: render_reason(e.reason_code, e.reason_params, "en")
        for e in LedgerEntry.objects.filter(kind="reverse")
    }
    assert history[first["entry_id"]] == (
        "Refund on order O1: points reversed (40 had already expired)"
    )
    assert history[second["entry_id"]] == f"Refund on order O1: points reversed ({words})"


@pytest.mark.parametrize(
    ("policy", "after"),
    [(DebtPolicy.FLOOR_ZERO, (0, 99, 0, 129)), (DebtPolicy.ALLOW_DEBT, (0, 99, 30, 129))],
)
def test_full_refund_of_a_lot_spent_before_the_rest_expired(
    shop, member, send, program, policy, after
):
    """One full refund ends where the two partial ones do."""
    _spent_then_expired(shop, member, send, program, policy)
    reversed_ = effects(send.refund("O1", "R1"), "points.reversed")
    assert sum(r["points"] for r in reversed_) == -100
    assert sum(r.get("already_expired", 0) for r in reversed_) == 40
    assert balances(member) == after


def test_check_ledger_command(shop, member, send):
    from django.core.management import call_command

    make_rule(shop, points_per_yuan=1)
    send.paid("O1", [("A", 1, 10000)])
    call_command("check_ledger")
    PointsAccount.objects.update(pending=99)
    with pytest.raises(SystemExit) as exited:
        call_command("check_ledger")
    assert exited.value.code == 1
    assert {m.what for m in ledger_mismatches()} == {"pending vs entries", "pending vs lots"}
    PointsAccount.objects.update(pending=100)
