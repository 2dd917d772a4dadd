"""``template_create``: the one way templates are made (console and admin)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.promotions import services
from patron.promotions.models import CouponTemplate
from patron.promotions.services import TemplateSpec

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "extra", "group"),
    [
        ("free_shipping", {}, "shipping"),
        ("fixed", {"amount": 500}, "order"),
        ("percent", {"percent": 10}, "order"),
        ("threshold", {"amount": 500, "threshold": 5000}, "order"),
    ],
)
def test_each_type_gets_its_default_group(
    shop: Shop, kind: str, extra: dict[str, Any], group: str
) -> None:
    spec = TemplateSpec(code="c1", name="券", type=kind, **extra)
    template = services.template_create(shop=shop, actor=None, spec=spec)
    assert template.stacking_group == group
    assert CouponTemplate.objects.get().stacking_group == group


def test_a_given_group_is_kept(shop: Shop) -> None:
    spec = TemplateSpec(code="c1", name="包邮", type="free_shipping", stacking_group="order")
    assert services.template_create(shop=shop, actor=None, spec=spec).stacking_group == "order"


def test_a_bad_template_changes_nothing(shop: Shop) -> None:
    with pytest.raises(PatronError) as exc:
        services.template_create(
            shop=shop,
            actor=None,
            spec=TemplateSpec(code="c1", name="x", type="percent", percent=150),
        )
    assert (exc.value.code, exc.value.field, exc.value.status) == (
        "validation_error",
        "percent",
        422,
    )
    assert exc.value.detail_en == "percent: must be a whole number from 1 to 99"
    with pytest.raises(PatronError) as exc:
        services.template_validate(
            TemplateSpec(code="c2", name="x", type="fixed", amount=1, validity_kind="fixed_dates")
        )
    assert exc.value.field == "valid_until"
    assert CouponTemplate.objects.count() == 0
    assert AuditLog.objects.count() == 0


def admin_form(shop: Shop, **fields: Any) -> dict[str, Any]:
    return {
        "shop": shop.pk,
        "code": "ship",
        "name": "包邮",
        "description": "",
        "active": "on",
        "type": "free_shipping",
        "amount": 0,
        "percent": 0,
        "max_discount": 0,
        "threshold": 0,
        "skus": "[]",
        "categories": "[]",
        "tier_codes": "[]",
        "validity_kind": "days_after_issue",
        "valid_days": 30,
        "per_member_limit": 1,
        "total_limit": 0,
        "budget": 0,
        "stacking_group": "",
        **fields,
    }


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", "r@example.com", "pw"))
    return client


def test_the_admin_creates_through_the_service(admin_client: Client, shop: Shop) -> None:
    response = admin_client.post("/admin/promotions/coupontemplate/add/", admin_form(shop))
    assert response.status_code == 302, response.content.decode()[:2000]
    template = CouponTemplate.objects.get()
    assert (template.stacking_group, template.type) == ("shipping", "free_shipping")
    assert AuditLog.objects.filter(action="coupon_template.create").count() == 1


def test_the_admin_shows_the_services_refusal_next_to_the_field(
    admin_client: Client, shop: Shop
) -> None:
    admin_client.cookies["django_language"] = "en"
    response = admin_client.post(
        "/admin/promotions/coupontemplate/add/",
        admin_form(shop, type="threshold", amount=5000, threshold=3000),
    )
    assert response.status_code == 200
    assert "amount: must be below the minimum spend" in response.content.decode()
    assert CouponTemplate.objects.count() == 0


def test_the_coupon_admin_speaks_chinese(admin_client: Client, shop: Shop, member: Any) -> None:
    from patron.promotions.tests.conftest import issue, make_template

    page = admin_client.get(
        "/admin/promotions/coupontemplate/add/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    for title in ["条件与范围", "有效期", "限量与预算", "叠加", "发放渠道"]:
        assert title in page
    assert "Limits and budget" not in page
    coupon = issue(make_template(shop), member)
    response = admin_client.post(
        "/admin/promotions/coupon/",
        {"action": "revoke", "_selected_action": [coupon.pk], "post": "yes"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
        follow=True,
    )
    assert "已作废 1 张优惠券" in response.content.decode()
    assert "作废所选未使用的优惠券" in response.content.decode()
