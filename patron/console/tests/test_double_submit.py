"""Console writes take a one-time key: a double submit of a form or a resent
API call with the same key writes once and answers as the first time."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from patron.members.models import Member
from patron.points.models import AdjustmentState, PointsAdjustment
from patron.promotions.models import CouponTemplate
from patron.tiers.models import TierOverride
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def _token(body: str, action: str) -> str:
    match = re.search(
        r'<form method="post" action="' + re.escape(action) + r'"[^>]*>'
        r'<input type="hidden" name="csrfmiddlewaretoken" value="[^"]*">'
        r'<input type="hidden" name="idem" value="([^"]+)">',
        body,
    )
    assert match is not None, action
    return match.group(1)


def test_a_double_submitted_adjustment_form_creates_one_adjustment(
    as_role: Any, member: Member
) -> None:
    # given the member page drawn once, with its form's one-time key
    client = as_role("marketing")
    page = client.get(f"/console/members/{member.pk}/?tab=points").content.decode()
    action = f"/console/members/{member.pk}/adjust-points/"
    form = {"points": 50, "reason": "goodwill", "idem": _token(page, action)}
    # when the form is submitted twice
    first = client.post(action, form)
    second = client.post(action, form)
    # then both answers are the same redirect, and one adjustment was applied
    assert (first.status_code, second.status_code) == (302, 302)
    assert first["Location"] == second["Location"]
    assert PointsAdjustment.objects.filter(member=member).count() == 1
    member.points_account.refresh_from_db()
    assert member.points_account.available == 50
    # and a new page draws a new key, so the next adjustment is made
    page = client.get(f"/console/members/{member.pk}/?tab=points").content.decode()
    assert _token(page, action) != form["idem"]
    client.post(action, {**form, "idem": _token(page, action)})
    assert PointsAdjustment.objects.filter(member=member).count() == 2


def test_a_resent_api_adjustment_with_the_same_key_creates_one(
    as_role: Any, member: Member
) -> None:
    client = as_role("marketing")
    url = f"/console/api/members/{member.pk}/points-adjustments"
    body = json.dumps({"points": 50, "reason": "goodwill"})

    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert PointsAdjustment.objects.filter(member=member).count() == 1
    # the same key with a different body is refused, and changes nothing
    other = client.post(
        url,
        json.dumps({"points": 60, "reason": "goodwill"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")
    assert PointsAdjustment.objects.filter(member=member).count() == 1


def test_keys_are_per_operator(as_role: Any, member: Member) -> None:
    url = f"/console/api/members/{member.pk}/points-adjustments"
    body = json.dumps({"points": 50, "reason": "goodwill"})
    for role in ("marketing", "admin"):
        response = as_role(role).post(
            url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="same"
        )
        assert response.status_code == 201
    assert PointsAdjustment.objects.filter(member=member).count() == 2


def test_a_double_submitted_override_and_decision_write_once(as_role: Any, member: Member) -> None:
    tiers_seed_defaults(shop=member.shop)
    admin = as_role("admin")
    page = admin.get(f"/console/members/{member.pk}/?tab=tier").content.decode()
    action = f"/console/members/{member.pk}/override-tier/"
    form = {"tier": "gold", "reason": "VIP", "idem": _token(page, action)}

    assert admin.post(action, form).status_code == 302
    assert admin.post(action, form).status_code == 302  # replayed, not "already pending"
    assert TierOverride.objects.filter(member=member).count() == 1

    # a large adjustment waits; finance's approval double-clicked is one decision
    as_role("marketing").post(
        f"/console/members/{member.pk}/adjust-points/", {"points": 5000, "reason": "VIP"}
    )
    adjustment = PointsAdjustment.objects.get(state=AdjustmentState.AWAITING_APPROVAL)
    finance = as_role("finance")
    queue = finance.get("/console/approvals/").content.decode()
    action = f"/console/approvals/adjustment/{adjustment.pk}/"
    decision = {"decision": "approve", "idem": _token(queue, action)}
    first = finance.post(action, decision, follow=True).content.decode()
    second = finance.post(action, decision, follow=True).content.decode()
    assert "已批准并生效" in first
    assert "已批准并生效" in second  # the first answer again, not "already decided"
    adjustment.refresh_from_db()
    assert adjustment.state == AdjustmentState.APPLIED


def test_a_double_submitted_coupon_template_form_creates_one(as_role: Any, member: Member) -> None:
    client = as_role("marketing")
    page = client.get("/console/coupon-templates/new/").content.decode()
    match = re.search(r'name="idem" value="([^"]+)"', page)
    assert match is not None
    form = {
        "shop": member.shop_id,
        "code": "WELCOME",
        "name": "Welcome",
        "type": "fixed",
        "amount": "10",
        "valid_days": 30,
        "per_member_limit": 1,
        "total_limit": 0,
        "idem": match.group(1),
    }
    first = client.post("/console/coupon-templates/new/", form)
    second = client.post("/console/coupon-templates/new/", form)
    assert (first.status_code, second.status_code) == (302, 302)
    assert CouponTemplate.objects.filter(code="WELCOME").count() == 1
