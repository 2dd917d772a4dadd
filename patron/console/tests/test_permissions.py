"""Each role is refused what it may not do, in the pages and in the API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import AdjustmentState, PointsAdjustment

pytestmark = pytest.mark.django_db

# page -> roles that may open it (admin may open everything)
PAGES: dict[str, set[str]] = {
    "/console/dashboard/": {"admin", "marketing", "finance", "service_lead", "analyst"},
    "/console/members/": {
        "admin",
        "marketing",
        "finance",
        "service_agent",
        "service_lead",
        "analyst",
    },
    "/console/audit/": {"admin", "finance", "service_lead"},
    "/console/approvals/": {"admin", "finance", "service_lead"},
    # Analysts read campaign configuration (promotions read rights) to analyse it.
    "/console/coupon-templates/": {"admin", "marketing", "finance", "analyst"},
    "/console/coupon-templates/new/": {"admin", "marketing"},
    "/console/rules/": {"admin", "marketing", "finance"},
    "/console/sso-secrets/": {"admin"},
}
ROLES = ["admin", "marketing", "finance", "service_agent", "service_lead", "analyst"]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_its_pages(as_role: Any, role: str) -> None:
    client = as_role(role)
    for path, allowed in PAGES.items():
        status = client.get(path).status_code
        assert status == (200 if role in allowed else 403), (role, path, status)


def test_anonymous_operators_are_sent_to_sign_in_and_the_api_answers_401() -> None:
    response = Client().get("/console/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/console/login/")
    api = Client().get("/console/api/dashboard")
    assert api.status_code == 401
    assert api["Content-Type"] == "application/problem+json"


def test_pii_is_masked_unless_the_role_may_see_it(as_role: Any, member: Member) -> None:
    url = f"/console/members/{member.pk}/"
    assert "+8613912345678" in as_role("service_agent").get(url).content.decode()
    masked = as_role("marketing").get(url).content.decode()
    assert "+8613912345678" not in masked
    assert "+86 139****5678" in masked
    api = json.loads(as_role("analyst").get(f"/console/api/members/{member.pk}").content)
    assert (api["phone"], api["email"]) == ("+86 139****5678", "l***@example.com")
    api = json.loads(as_role("service_lead").get(f"/console/api/members/{member.pk}").content)
    assert api["phone"] == "+8613912345678"


def test_only_roles_that_may_adjust_points_can_in_the_page_and_the_api(
    as_role: Any, member: Member
) -> None:
    page = f"/console/members/{member.pk}/adjust-points/"
    api = f"/console/api/members/{member.pk}/points-adjustments"
    body = {"points": 50, "reason": "goodwill"}
    for role in ["finance", "service_agent", "service_lead", "analyst"]:
        client = as_role(role)
        assert client.post(page, body).status_code == 403, role
        response = client.post(api, json.dumps(body), content_type="application/json")
        assert response.status_code == 403, role
        assert response.json()["code"] == "forbidden"
    assert PointsAdjustment.objects.count() == 0
    assert as_role("marketing").post(page, body).status_code == 302
    response = as_role("marketing").post(api, json.dumps(body), content_type="application/json")
    assert response.status_code == 201
    assert PointsAdjustment.objects.filter(state=AdjustmentState.APPLIED).count() == 2


def test_a_large_adjustment_waits_and_only_a_second_operator_with_the_right_may_approve(
    as_role: Any, operators: Any, member: Member
) -> None:
    marketing = as_role("marketing")
    marketing.post(
        f"/console/members/{member.pk}/adjust-points/", {"points": 5000, "reason": "VIP gesture"}
    )
    adjustment = PointsAdjustment.objects.get()
    assert adjustment.state == AdjustmentState.AWAITING_APPROVAL
    decide = f"/console/approvals/adjustment/{adjustment.pk}/"
    # marketing and the analyst may not decide at all
    assert marketing.post(decide, {"decision": "approve"}).status_code == 403
    assert as_role("analyst").post(decide, {"decision": "approve"}).status_code == 403
    api = f"/console/api/approvals/adjustments/{adjustment.pk}/approve"
    assert as_role("service_lead").post(api).status_code == 403
    adjustment.refresh_from_db()
    assert adjustment.state == AdjustmentState.AWAITING_APPROVAL
    # finance approves; a second click changes nothing more
    finance = as_role("finance")
    assert finance.post(decide, {"decision": "approve"}).status_code == 302
    assert finance.post(decide, {"decision": "approve"}).status_code == 302
    adjustment.refresh_from_db()
    assert adjustment.state == AdjustmentState.APPLIED
    assert adjustment.decided_by == operators["finance"]
    assert member.points_account.available == 5000


def test_nobody_approves_their_own_request(as_role: Any, operators: Any, member: Member) -> None:
    admin = as_role("admin")
    admin.post(f"/console/members/{member.pk}/adjust-points/", {"points": 2000, "reason": "fix"})
    adjustment = PointsAdjustment.objects.get()
    response = admin.post(
        f"/console/approvals/adjustment/{adjustment.pk}/", {"decision": "approve"}, follow=True
    )
    assert "不能审批此申请" in response.content.decode()
    adjustment.refresh_from_db()
    assert adjustment.state == AdjustmentState.AWAITING_APPROVAL


def test_coupon_templates_are_created_by_marketing_and_refused_to_others(
    as_role: Any, shop: Shop
) -> None:
    from patron.promotions.models import CouponTemplate

    form = {
        "shop": shop.pk,
        "code": "spend300-get50",
        "name": "满300减50",
        "type": "threshold",
        "amount": "50",
        "threshold": "300.00",
        "valid_days": 30,
        "per_member_limit": 1,
        "total_limit": 0,
    }
    for role in ["finance", "service_agent", "service_lead", "analyst"]:
        assert as_role(role).post("/console/coupon-templates/new/", form).status_code == 403
        api = as_role(role).post(
            "/console/api/coupon-templates",
            json.dumps(
                {"shop_id": shop.pk, "code": "x", "name": "x", "type": "fixed", "amount": 100}
            ),
            content_type="application/json",
        )
        assert api.status_code == 403
    assert CouponTemplate.objects.count() == 0
    response = as_role("marketing").post("/console/coupon-templates/new/", form)
    assert response.status_code == 302
    template = CouponTemplate.objects.get()
    assert (template.amount, template.threshold, template.type) == (5000, 30000, "threshold")


def test_coupon_template_errors_are_shown_next_to_the_field_and_input_is_kept(
    as_role: Any, shop: Shop
) -> None:
    response = as_role("marketing").post(
        "/console/coupon-templates/new/",
        {
            "shop": shop.pk,
            "code": "c1",
            "name": "坏券",
            "type": "threshold",
            "amount": "80",
            "threshold": "50",
            "valid_days": 30,
            "per_member_limit": 1,
            "total_limit": 0,
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_amount_error"' in body
    assert 'value="坏券"' in body


def test_the_audit_api_is_for_roles_that_read_the_audit_log(as_role: Any) -> None:
    assert as_role("finance").get("/console/api/audit").status_code == 200
    assert as_role("marketing").get("/console/api/audit").status_code == 403
    assert as_role("service_agent").get("/console/api/dashboard").status_code == 403


def test_rule_preview_validates_the_expression_and_computes_points(as_role: Any) -> None:
    client = as_role("marketing")
    bad = client.post(
        "/console/rules/",
        {
            "condition": "order.paid_amount >= ",
            "points_per_yuan": 1,
            "min_order_amount": 0,
            "sample_amount": "259",
        },
    )
    assert bad.status_code == 422
    assert 'id="id_condition_error"' in bad.content.decode()
    good = client.post(
        "/console/rules/",
        {
            "condition": 'member.tier == "gold"',
            "points_per_yuan": 2,
            "min_order_amount": 0,
            "sample_amount": "259.00",
            "sample_tier": "gold",
        },
    )
    assert "该订单可获得 518 积分" in good.content.decode()
