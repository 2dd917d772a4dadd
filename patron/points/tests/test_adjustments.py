"""Manual adjustments: at once below the threshold, a second operator above it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from patron.core import clock, roles
from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.points.models import AdjustmentState, LedgerEntry, PointsAccount
from patron.points.selectors import entries_page, ledger_mismatches
from patron.points.services import (
    action_earn,
    adjustment_approve,
    adjustment_reject,
    adjustment_request,
)
from patron.points.tests.conftest import make_rule


@pytest.fixture
def staff(shop):
    roles_sync()

    def make(name: str, role: str) -> User:
        return make_operator(name, role, shop, is_staff=True)

    return make


def available(member) -> int:
    return PointsAccount.objects.get(member=member).available


def test_small_grant_applies_at_once_with_reason_in_history(member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    adj = adjustment_request(member=member, points=500, reason="补偿：物流延误", actor=marketer)
    assert adj.state == AdjustmentState.APPLIED
    assert available(member) == 500
    item = entries_page(member=member, language="zh-hans")["items"][0]
    assert item["reason"] == "客服调整：补偿：物流延误"
    assert entries_page(member=member, language="en")["items"][0]["reason"] == (
        "Adjusted by the service team: 补偿：物流延误"
    )
    entry = LedgerEntry.objects.get()
    assert entry.operator == marketer and entry.kind == "adjust"
    assert AuditLog.objects.filter(action="points_adjustment.apply", actor=marketer).count() == 1


def test_large_grant_waits_for_a_second_operator(member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    finance = staff("fin", roles.FINANCE)
    other_marketer = staff("mk2", roles.MARKETING)
    adj = adjustment_request(member=member, points=5000, reason="VIP goodwill", actor=marketer)
    assert adj.state == AdjustmentState.AWAITING_APPROVAL
    assert not PointsAccount.objects.filter(member=member, available__gt=0).exists()
    with pytest.raises(PatronError) as own:
        admin = User.objects.create_superuser("boss", password="x")
        adjustment_request(member=member, points=2000, reason="x", actor=admin)
        adjustment_approve(
            adjustment=type(adj).objects.filter(requested_by=admin).get(), actor=admin
        )
    assert own.value.code == "forbidden"
    with pytest.raises(PatronError) as no_perm:
        adjustment_approve(adjustment=adj, actor=other_marketer)
    assert no_perm.value.code == "forbidden"
    approved = adjustment_approve(adjustment=adj, actor=finance)
    assert approved.state == AdjustmentState.APPLIED and approved.decided_by == finance
    assert available(member) == 5000
    with pytest.raises(PatronError) as twice:
        adjustment_approve(adjustment=adj, actor=finance)
    assert twice.value.code == "invalid_transition"
    assert AuditLog.objects.filter(action="points_adjustment.approve").count() == 1
    assert ledger_mismatches() == []


def test_rejected_adjustment_changes_nothing(member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    finance = staff("fin", roles.FINANCE)
    adj = adjustment_request(member=member, points=-5000, reason="fraud", actor=marketer)
    rejected = adjustment_reject(adjustment=adj, actor=finance, note="not proven")
    assert rejected.state == AdjustmentState.REJECTED
    assert LedgerEntry.objects.count() == 0
    assert AuditLog.objects.filter(action="points_adjustment.reject", reason="not proven").exists()


def test_deduction_cannot_exceed_the_balance(member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    adjustment_request(member=member, points=300, reason="grant", actor=marketer)
    adjustment_request(member=member, points=-200, reason="correction", actor=marketer)
    assert available(member) == 100
    with pytest.raises(PatronError) as caught:
        adjustment_request(member=member, points=-101, reason="too much", actor=marketer)
    assert caught.value.code == "insufficient_points"
    assert available(member) == 100


def test_operator_without_permission_and_missing_reason(member, program, staff):
    agent = staff("ag", roles.SERVICE_AGENT)
    with pytest.raises(PatronError) as denied:
        adjustment_request(member=member, points=10, reason="x", actor=agent)
    assert denied.value.code == "forbidden"
    marketer = staff("mk", roles.MARKETING)
    with pytest.raises(PatronError) as no_reason:
        adjustment_request(member=member, points=10, reason="  ", actor=marketer)
    assert no_reason.value.field == "reason"


def test_roles_hold_the_points_permissions_in_their_shop(shop, staff):
    assert staff("mk", roles.MARKETING).has_perm("points.adjust_points", shop)
    assert not staff("mk2", roles.MARKETING).has_perm("points.approve_adjustment", shop)
    finance = staff("fin", roles.FINANCE)
    assert finance.has_perm("points.approve_adjustment", shop)
    # outside a request there is no current shop, and another shop gives nothing
    assert not finance.has_perm("points.approve_adjustment")
    other = Shop.objects.create(name="Other Shop")
    assert not finance.has_perm("points.approve_adjustment", other)


def _earn(shop, member, points: int) -> None:
    """Available points from an action rule, so no adjustment is needed to fund one."""
    make_rule(shop, "custom.grant", points=points)
    action_earn(member=member, trigger="custom.grant", data={}, at=clock.now())


def test_large_deduction_applies_once_a_second_operator_approves(shop, member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    finance = staff("fin", roles.FINANCE)
    _earn(shop, member, 3000)
    adj = adjustment_request(member=member, points=-2500, reason="duplicate orders", actor=marketer)
    assert adj.state == AdjustmentState.AWAITING_APPROVAL
    assert available(member) == 3000
    assert not LedgerEntry.objects.filter(kind="adjust").exists()
    approved = adjustment_approve(adjustment=adj, actor=finance)
    assert (approved.state, approved.decided_by) == (AdjustmentState.APPLIED, finance)
    acc = PointsAccount.objects.get(member=member)
    # Spent, not un-earned: lifetime earned stays
    assert (acc.available, acc.pending, acc.debt, acc.lifetime_earned) == (500, 0, 0, 3000)
    entry = LedgerEntry.objects.get(kind="adjust")
    assert approved.entry == entry
    assert (entry.points, entry.delta_available, entry.delta_lifetime) == (-2500, -2500, 0)
    assert entry.operator == marketer  # who asked; the approver is on the adjustment
    assert entry.reason_params == {"note": "duplicate orders", "adjustment_id": adj.pk}
    assert entries_page(member=member, language="en")["items"][0]["reason"] == (
        "Adjusted by the service team: duplicate orders"
    )
    assert ledger_mismatches() == []


def test_adjustment_exactly_at_the_threshold_applies_at_once(shop, member, program, staff):
    """ "Above" the threshold needs approval: exactly the threshold does not, one more does."""
    program.approval_threshold = 800
    program.save()
    marketer = staff("mk", roles.MARKETING)
    grant = adjustment_request(member=member, points=800, reason="at threshold", actor=marketer)
    assert grant.state == AdjustmentState.APPLIED
    assert available(member) == 800
    deduct = adjustment_request(member=member, points=-800, reason="at threshold", actor=marketer)
    assert deduct.state == AdjustmentState.APPLIED
    assert available(member) == 0
    over = [
        adjustment_request(member=member, points=p, reason="over", actor=marketer)
        for p in (801, -801)
    ]
    assert [a.state for a in over] == [AdjustmentState.AWAITING_APPROVAL] * 2
    assert available(member) == 0
    assert list(LedgerEntry.objects.order_by("pk").values_list("points", flat=True)) == [800, -800]


def test_large_deduction_approved_after_the_balance_fell_is_refused(shop, member, program, staff):
    marketer = staff("mk", roles.MARKETING)
    finance = staff("fin", roles.FINANCE)
    _earn(shop, member, 3000)
    adj = adjustment_request(member=member, points=-2500, reason="fraud", actor=marketer)
    # While it waits, the member spends (here: a small deduction applied at once)
    adjustment_request(member=member, points=-600, reason="correction", actor=marketer)
    assert available(member) == 2400
    entries = LedgerEntry.objects.count()
    with pytest.raises(PatronError) as caught:
        adjustment_approve(adjustment=adj, actor=finance)
    assert (caught.value.code, caught.value.status) == ("insufficient_points", 409)
    assert caught.value.detail_en == "2500 points needed, 2400 available"
    adj.refresh_from_db()
    assert (adj.state, adj.decided_by, adj.entry) == (AdjustmentState.AWAITING_APPROVAL, None, None)
    assert available(member) == 2400
    assert LedgerEntry.objects.count() == entries
    assert not AuditLog.objects.filter(action="points_adjustment.approve").exists()
    # It can still be decided: rejected, it changes nothing either
    adjustment_reject(adjustment=adj, actor=finance, note="balance already spent")
    assert available(member) == 2400
    assert ledger_mismatches() == []
