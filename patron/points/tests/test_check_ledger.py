"""``patron check-ledger`` and ``ledger_mismatches``: a clean ledger passes; each
kind of cached figure changed behind the ledger's back is reported, for that
account only."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import connection

from patron.core import clock
from patron.members.models import Member
from patron.points.models import PointsAccount, PointsLot
from patron.points.selectors import Mismatch, ledger_mismatches
from patron.points.services import action_earn
from patron.points.tests.conftest import make_rule


@dataclass
class Accounts:
    spender: PointsAccount  # available, pending and points paid with
    pending_only: PointsAccount  # nothing available, so debt may be set
    granted: PointsAccount  # one untouched available lot


def balances(acc: PointsAccount) -> tuple[int, int, int, int]:
    acc.refresh_from_db()
    return acc.available, acc.pending, acc.debt, acc.lifetime_earned


@pytest.fixture
def accounts(shop, member, send, t0) -> Accounts:
    for external_id in ("M2", "M3"):
        Member.objects.create(
            shop=shop, external_id=external_id, registered_at=t0, created_at=t0, updated_at=t0
        )
    make_rule(shop, points_per_yuan=1)
    make_rule(shop, "custom.grant", points=100)
    send("custom.grant", "M1")
    send.paid("O1", [("A", 1, 5000)], member="M1")
    # ¥30 of goods, 30 points pay ¥0.30: ¥29.70 paid earns 29
    send.paid("O2", [("B", 1, 3000)], paid_amount=2970, points_used=30, member="M1")
    send.paid("O3", [("A", 1, 10000)], member="M2")
    send("custom.grant", "M3")
    found = Accounts(
        *(PointsAccount.objects.get(member__external_id=m) for m in ("M1", "M2", "M3"))
    )
    assert balances(found.spender) == (70, 79, 0, 179)
    assert balances(found.pending_only) == (0, 100, 0, 100)
    assert balances(found.granted) == (100, 0, 0, 100)
    return found


def check_ledger() -> tuple[int, str, str]:
    """Run the command; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("check_ledger", stdout=out, stderr=err)
    except SystemExit as exited:
        return int(exited.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def raw_update(model, pk: int, column: str, value: int) -> None:
    """Change one cached figure behind the services' back, as a bad migration would."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk]
        )


def test_clean_ledger_passes(accounts):
    assert ledger_mismatches() == []
    assert check_ledger() == (0, "ledger OK: 3 accounts checked\n", "")


def test_clean_ledger_with_no_accounts_passes(db):
    assert check_ledger() == (0, "ledger OK: 0 accounts checked\n", "")


def _corrupt_lot_remaining(a: Accounts) -> tuple[PointsAccount, list[tuple[str, int, int]]]:
    lot = PointsLot.objects.get(account=a.granted)
    raw_update(PointsLot, lot.pk, "remaining", 60)
    return a.granted, [
        ("available vs lots", 100, 60),
        ("lots whose points != remaining + drawn + expired", 0, 1),
    ]


def _corrupt_available(a: Accounts) -> tuple[PointsAccount, list[tuple[str, int, int]]]:
    raw_update(PointsAccount, a.spender.pk, "available", 75)
    return a.spender, [("available vs entries", 75, 70), ("available vs lots", 75, 70)]


def _corrupt_debt(a: Accounts) -> tuple[PointsAccount, list[tuple[str, int, int]]]:
    raw_update(PointsAccount, a.pending_only.pk, "debt", 40)
    return a.pending_only, [("debt vs entries", 40, 0)]


def _corrupt_lifetime(a: Accounts) -> tuple[PointsAccount, list[tuple[str, int, int]]]:
    raw_update(PointsAccount, a.granted.pk, "lifetime_earned", 150)
    return a.granted, [("lifetime earned vs entries", 150, 100)]


@pytest.mark.parametrize(
    "corrupt",
    [_corrupt_lot_remaining, _corrupt_available, _corrupt_debt, _corrupt_lifetime],
    ids=["lot remaining", "available", "debt", "lifetime earned"],
)
def test_each_corruption_is_reported_for_its_account_only(accounts, corrupt):
    bad, expected = corrupt(accounts)
    assert ledger_mismatches() == [
        Mismatch(bad.pk, what, cached, computed) for what, cached, computed in expected
    ]
    code, out, err = check_ledger()
    assert code == 1 and out == ""
    assert err.splitlines() == [
        *(
            f"account {bad.pk}: {what}: cached {cached}, computed {computed}"
            for what, cached, computed in expected
        ),
        "ledger MISMATCH: 1 of 3 accounts",
    ]
    others = [a.pk for a in (accounts.spender, accounts.pending_only, accounts.granted)]
    others.remove(bad.pk)
    assert ledger_mismatches(account_ids=others) == []
    assert [m.account_id for m in ledger_mismatches(account_ids=[bad.pk])] == [bad.pk] * len(
        expected
    )


def test_two_corrupt_accounts_are_both_named(accounts):
    _corrupt_debt(accounts)
    _corrupt_lifetime(accounts)
    code, _, err = check_ledger()
    assert code == 1
    assert err.splitlines()[-1] == "ledger MISMATCH: 2 of 3 accounts"
    assert {m.account_id for m in ledger_mismatches()} == {
        accounts.pending_only.pk,
        accounts.granted.pk,
    }
    assert f"account {accounts.spender.pk}:" not in err


def test_check_passes_again_once_the_figure_is_put_back(accounts):
    """Putting the figure back makes the check pass again: it compares, it stores nothing."""
    raw_update(PointsAccount, accounts.spender.pk, "available", 75)
    assert check_ledger()[0] == 1
    raw_update(PointsAccount, accounts.spender.pk, "available", 70)
    action_earn(member=accounts.spender.member, trigger="custom.grant", data={}, at=clock.now())
    assert balances(accounts.spender) == (170, 79, 0, 279)
    assert check_ledger() == (0, "ledger OK: 3 accounts checked\n", "")
