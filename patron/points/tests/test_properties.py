"""Property: whatever happens, in any order, the ledger balances.

A state machine drives random sequences of orders (some paid partly with
points), completions, partial and full refunds, cancellations, manual
adjustments, and clock jumps that run activation and expiry. After every step
each balance equals the sum of its entries and the sum of its lot remainders,
and no lot or balance is below zero.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events import services as event_services
from patron.members.models import Member
from patron.orders.models import Order
from patron.points import services
from patron.points.models import DebtPolicy, ExpiryPolicy, PointsAccount, PointsLot, PointsProgram
from patron.points.selectors import ledger_mismatches
from patron.points.services.ledger import Refs, account_lock, do_credit, do_debit
from patron.points.tests.conftest import make_rule

_seq = itertools.count(1)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        n = next(_seq)
        clock.freeze(dt.datetime(2026, 1, 5, 4, 0, tzinfo=dt.UTC))
        self.shop = Shop.objects.create(name=f"prop-{n}")
        self.member = Member.objects.create(
            shop=self.shop,
            external_id=f"P{n}",
            registered_at=clock.now(),
            created_at=clock.now(),
            updated_at=clock.now(),
        )
        make_rule(self.shop, points_per_yuan=1, category_multipliers={"x": 150})
        self.orders: list[str] = []
        self.n = n

    @initialize(
        debt=st.sampled_from(DebtPolicy.values),
        expiry=st.sampled_from(ExpiryPolicy.values),
        window=st.sampled_from([0, 0, 7]),
    )
    def program(self, debt: str, expiry: str, window: int) -> None:
        PointsProgram.objects.create(
            shop=self.shop,
            debt_policy=debt,
            expiry_policy=expiry,
            expiry_months=2,
            return_window_days=window,
        )

    def _send(self, type_: str, data: dict[str, Any]) -> None:
        raw = {
            "id": f"p{self.n}-{next(_seq)}",
            "type": type_,
            "member": self.member.external_id,
            "occurred_at": clock.now().isoformat(),
            "data": data,
        }
        # A refused event must have changed nothing: the invariant checks it.
        with contextlib.suppress(PatronError):
            event_services.event_ingest(shop=self.shop, raw=raw)

    def _available(self) -> int:
        acc = PointsAccount.objects.filter(member=self.member).first()
        return acc.available if acc else 0

    @rule(
        lines=st.lists(
            st.tuples(st.integers(1, 3), st.integers(1, 9000), st.sampled_from(["", "x"])),
            min_size=1,
            max_size=3,
        ),
        use=st.integers(0, 400),
        overspend=st.booleans(),
    )
    def pay(self, lines: list[tuple[int, int, str]], use: int, overspend: bool) -> None:
        order_id = f"O{len(self.orders) + 1}"
        items = sum(q * p for q, p, _ in lines)
        used = min(use, items) if overspend else min(use, self._available(), items)
        self._send(
            "order.paid",
            {
                "order_id": order_id,
                "lines": [
                    {
                        "line_id": f"L{i}",
                        "sku": f"S{i}",
                        "quantity": q,
                        "unit_price": p,
                        "category": c,
                    }
                    for i, (q, p, c) in enumerate(lines)
                ],
                "paid_amount": items - used,
                "points_used": used,
                "points_amount": used,
            },
        )
        if Order.objects.filter(shop=self.shop, external_id=order_id).exists():
            self.orders.append(order_id)

    @rule(pick=st.integers(0, 50))
    def complete(self, pick: int) -> None:
        if self.orders:
            self._send("order.completed", {"order_id": self.orders[pick % len(self.orders)]})

    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        if self.orders:
            self._send("order.cancelled", {"order_id": self.orders[pick % len(self.orders)]})

    @rule(pick=st.integers(0, 50), data=st.data())
    def refund(self, pick: int, data: st.DataObject) -> None:
        if not self.orders:
            return
        order = Order.objects.get(shop=self.shop, external_id=self.orders[pick % len(self.orders)])
        open_lines = [ln for ln in order.lines.order_by("pk") if ln.refunded_quantity < ln.quantity]
        if not open_lines or data.draw(st.booleans()):
            self._send(
                "order.refunded", {"order_id": order.external_id, "refund_id": f"R{next(_seq)}"}
            )
            return
        chosen = data.draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
        self._send(
            "order.refunded",
            {
                "order_id": order.external_id,
                "refund_id": f"R{next(_seq)}",
                "lines": [
                    {
                        "line_id": ln.line_id,
                        "quantity": data.draw(st.integers(1, ln.quantity - ln.refunded_quantity)),
                    }
                    for ln in chosen
                ],
            },
        )

    @rule(points=st.integers(-300, 300).filter(lambda p: p != 0))
    def adjust(self, points: int) -> None:
        with contextlib.suppress(PatronError), transaction.atomic():
            account = account_lock(member=self.member)
            if points > 0:
                do_credit(
                    account,
                    points=points,
                    kind="adjust",
                    refs=Refs("adjust"),
                    expires_at=clock.now() + dt.timedelta(days=45),
                )
            else:
                do_debit(account, points=-points, kind="adjust", refs=Refs("adjust"))

    @rule()
    def spend_everything(self) -> None:
        with transaction.atomic():
            account = account_lock(member=self.member)
            if account.available:
                do_debit(account, points=account.available, kind="redeem", refs=Refs("redeem"))

    @rule(days=st.integers(1, 120))
    def time_passes(self, days: int) -> None:
        clock.advance(dt.timedelta(days=days))
        services.pending_activate_due()
        services.lots_expire_due()

    @invariant()
    def ledger_balances(self) -> None:
        account = PointsAccount.objects.filter(member=self.member).first()
        if account is None:
            return
        assert ledger_mismatches(account_ids=[account.pk]) == []
        assert not PointsLot.objects.filter(account=account, remaining__lt=0).exists()
        assert min(account.available, account.pending, account.debt) >= 0
        assert account.available == 0 or account.debt == 0


@pytest.mark.django_db
def test_ledger_invariants_hold_under_random_operations() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=60,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
