"""Admin screens: rules with CEL checked on save, adjustments approved by a second operator."""

from __future__ import annotations

import datetime as dt

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import User
from django.test import Client

from patron.points.models import AdjustmentState, PointsAccount, PointsAdjustment
from patron.rules.models import EarningRule

RULE_FORM = {
    "shop": "",
    "name": "Orders",
    "trigger": "order.paid",
    "is_active": "on",
    "condition": "",
    "points": "0",
    "photo_bonus_points": "0",
    "points_per_yuan": "1",
    "min_order_amount": "0",
    "category_multipliers": "{}",
    "sku_multipliers": "{}",
    "tier_multipliers": '{"gold": 150}',
    "member_day_multiplier": "100",
    "daily_cap": "0",
    "monthly_cap": "0",
    "streak_bonuses": "{}",
    "versions-TOTAL_FORMS": "0",
    "versions-INITIAL_FORMS": "0",
}


def _admin(name: str = "root") -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(name, password="x"))
    return client


def test_rule_with_bad_cel_is_not_saved_and_names_the_position(shop):
    client = _admin()
    form = {**RULE_FORM, "shop": str(shop.pk), "condition": "order.paid_amount >"}
    response = client.post("/admin/rules/earningrule/add/", form)
    assert response.status_code == 200
    assert "line 1, column" in response.content.decode()
    assert EarningRule.objects.count() == 0


def test_rule_saved_then_edited_adds_a_version(shop):
    client = _admin()
    response = client.post("/admin/rules/earningrule/add/", {**RULE_FORM, "shop": str(shop.pk)})
    assert response.status_code == 302
    rule = EarningRule.objects.get()
    assert rule.current_version is not None
    assert rule.current_version.tier_multipliers == {"gold": 150}
    edit = {**RULE_FORM, "shop": str(shop.pk), "points_per_yuan": "2"}
    response = client.post(f"/admin/rules/earningrule/{rule.pk}/change/", edit)
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.current_version is not None
    assert (rule.current_version.version, rule.current_version.points_per_yuan) == (2, 2)


def test_rule_with_a_campaign_in_the_admin(shop):
    client = _admin()
    client.cookies["django_language"] = "en"
    form = {
        **RULE_FORM,
        "shop": str(shop.pk),
        "campaign_name": "双11",
        "campaign_starts_at": "2026-11-01 00:00:00",
        "campaign_multiplier": "300",
    }
    response = client.post("/admin/rules/earningrule/add/", form)
    assert response.status_code == 200
    words = "a campaign multiplier needs the campaign&#x27;s start and end"
    assert words in response.content.decode()
    assert EarningRule.objects.count() == 0
    form["campaign_ends_at"] = "2026-11-12 00:00:00"
    response = client.post("/admin/rules/earningrule/add/", form)
    assert response.status_code == 302
    version = EarningRule.objects.get().current_version
    assert version is not None
    assert (version.campaign_name, version.campaign_multiplier) == ("双11", 300)
    starts, ends = version.campaign_starts_at, version.campaign_ends_at
    assert starts is not None and ends is not None and ends - starts == dt.timedelta(days=11)


def test_adjustment_added_and_approved_in_the_admin(member, program):
    requester = _admin("req")
    approver = _admin("appr")
    response = requester.post(
        "/admin/points/pointsadjustment/add/",
        {"member": str(member.pk), "points": "5000", "reason": "goodwill"},
    )
    assert response.status_code == 302
    adj = PointsAdjustment.objects.get()
    assert adj.state == AdjustmentState.AWAITING_APPROVAL
    # The requester cannot approve their own request
    requester.post(
        "/admin/points/pointsadjustment/",
        {"action": "approve", "_selected_action": [adj.pk], "post": "yes"},
    )
    adj.refresh_from_db()
    assert adj.state == AdjustmentState.AWAITING_APPROVAL
    approver.post(
        "/admin/points/pointsadjustment/",
        {"action": "approve", "_selected_action": [adj.pk], "post": "yes"},
    )
    adj.refresh_from_db()
    assert adj.state == AdjustmentState.APPLIED
    assert PointsAccount.objects.get(member=member).available == 5000


def test_adjustment_form_refuses_bad_sizes_with_form_errors(member, program, monkeypatch):
    client = _admin()
    client.cookies["django_language"] = "en"
    url = "/admin/points/pointsadjustment/add/"
    for points, words in [
        ("20000000", "points must be a non-zero whole number up to ±10,000,000"),
        ("0", "points must be a non-zero whole number"),
        ("-5", "only 0 points available to deduct"),
    ]:
        response = client.post(url, {"member": str(member.pk), "points": points, "reason": "x"})
        assert response.status_code == 200, points
        assert words in response.content.decode()
    response = client.post(url, {"member": str(member.pk), "points": "5", "reason": "  "})
    assert "a reason is required" in response.content.decode()
    # A deduction that passed the form but lost the points before the save
    # (another request spent them) is refused with a message, not a 500.
    monkeypatch.setattr("patron.points.services.adjustment_problem", lambda **kw: None)
    response = client.post(url, {"member": str(member.pk), "points": "-5", "reason": "x"})
    assert response.status_code == 302
    follow = client.get(response["Location"])
    assert "only 0 points available to deduct" in follow.content.decode().lower()
    assert PointsAdjustment.objects.count() == 0
    assert not LogEntry.objects.exists()


def test_read_only_ledger_screens_render(member, program):
    client = _admin()
    for path in ("pointsaccount", "ledgerentry", "pointslot", "pointsprogram"):
        assert client.get(f"/admin/points/{path}/").status_code == 200
