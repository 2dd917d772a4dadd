"""Operators in real headless Chromium: a coupon template, a large adjustment
requested by marketing and approved by an admin, and the member seeing it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.portal.tests.browser import (
    DESKTOP,
    MEMBER_PASSWORD,
    PHONE,
    chromium,
    loyalty_world,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _operator(name: str, role: str, shop: Shop) -> None:
    user = User.objects.create_user(name, password="op-pass-123", is_staff=role == "admin")
    OperatorMembership.objects.create(user=user, shop=shop, role=role)


def _sign_in(page: Any, url: str, name: str) -> None:
    page.goto(f"{url}/console/login/")
    page.fill("#id_username", name)
    page.fill("#id_password", "op-pass-123")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{url}/console/dashboard/")


def test_coupon_template_and_approved_adjustment_reach_the_member(
    live_server: Any, shop: Shop
) -> None:
    world = loyalty_world(shop)
    roles_sync()
    _operator("mkt", "marketing", shop)
    _operator("boss", "admin", shop)
    member = world["member"]
    url = live_server.url
    with chromium() as browser:
        marketing = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        _sign_in(marketing, url, "mkt")
        shoot(marketing, "console-dashboard-zh-desktop")

        # Marketing creates a coupon template; an error first keeps the input
        marketing.goto(f"{url}/console/coupon-templates/new/")
        marketing.fill("#id_code", "spend300-get50")
        marketing.fill("#id_name", "满300减50")
        marketing.select_option("#id_type", "threshold")
        marketing.fill("#id_amount", "50")
        marketing.click("button:has-text('创建')")
        assert marketing.inner_text("#id_threshold_error") == "请填写最低消费。"
        assert marketing.input_value("#id_name") == "满300减50"
        marketing.fill("#id_threshold", "300")
        marketing.check("#id_claimable")
        shoot(marketing, "console-coupon-template-zh-desktop")
        marketing.click("button:has-text('创建')")
        marketing.wait_for_url(f"{url}/console/coupon-templates/")
        assert "满300减50" in marketing.inner_text("main")

        # Marketing asks for a large adjustment: it waits for approval
        marketing.goto(f"{url}/console/members/{member.pk}/")
        assert "+86 138****0001" in marketing.inner_text("main")
        marketing.fill("#id_points", "5000")
        marketing.fill("#id_reason", "补偿：物流延误")
        marketing.click("button:has-text('提交调整')")
        marketing.wait_for_selector("text=正在等待另一位运营人员审批")
        shoot(marketing, "console-member-zh-desktop")

        # An admin approves it in the queue
        admin = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        _sign_in(admin, url, "boss")
        admin.goto(f"{url}/console/approvals/")
        assert "补偿：物流延误" in admin.inner_text("main")
        shoot(admin, "console-approvals-zh-desktop")
        admin.click("button:has-text('批准')")
        admin.wait_for_selector("text=已批准并生效")
        admin.goto(f"{url}/console/members/{member.pk}/")
        assert "+8613800000001" in admin.inner_text("main")
        admin.goto(f"{url}/console/members/{member.pk}/?tab=points")
        assert "+5,000" in admin.inner_text("main")
        shoot(admin, "console-member-points-zh-desktop")
        admin.click("header button:has-text('English')")
        admin.wait_for_selector("text=Points ledger")
        admin.goto(f"{url}/console/dashboard/")
        shoot(admin, "console-dashboard-en-desktop")
        admin.goto(f"{url}/console/audit/?q=5000")
        shoot(admin, "console-audit-en-desktop")
        phone = browser.new_page(viewport=PHONE, locale="zh-CN")
        phone.context.add_cookies(admin.context.cookies())
        phone.goto(f"{url}/console/approvals/")
        shoot(phone, "console-approvals-en-phone")

        # The member sees the points and the reason
        portal = browser.new_page(viewport=PHONE, locale="zh-CN")
        portal.goto(f"{url}/sign-in/")
        portal.fill("#id_identifier", "xiaoming@example.com")
        portal.fill("#id_password", MEMBER_PASSWORD)
        portal.click("button[type=submit]:has-text('登录')")
        portal.wait_for_url(f"{url}/")
        assert portal.inner_text("[data-testid=available-points]") == "5,800"
        portal.goto(f"{url}/points/")
        assert "客服调整：补偿：物流延误" in portal.inner_text("main")
