"""A member's walk through the portal in real headless Chromium."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.models import Shop
from patron.portal.tests.browser import (
    DESKTOP,
    MEMBER_PASSWORD,
    PHONE,
    chromium,
    loyalty_world,
    shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_signs_in_redeems_claims_checks_in_and_switches_language(
    live_server: Any, shop: Shop
) -> None:
    world = loyalty_world(shop)
    url = live_server.url
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        page.goto(f"{url}/")
        assert page.url.endswith("/sign-in/?next=/")
        shoot(page, "portal-sign-in-zh-phone")
        page.fill("#id_identifier", "13800000001")
        page.fill("#id_password", MEMBER_PASSWORD)
        page.click("button[type=submit]:has-text('登录')")
        page.wait_for_url(f"{url}/")
        # Given 800 points and the entry tier, home shows the balance and progress
        assert page.inner_text("[data-testid=available-points]") == "800"
        assert page.inner_text("[data-testid=tier-name]") == "普通会员"
        assert page.locator("[role=progressbar]").count() == 1
        assert page.evaluate("document.characterSet") == "UTF-8"
        shoot(page, "portal-home-zh-phone")

        # Redeem: the confirm step, then the order in My redemptions
        page.goto(f"{url}/rewards/")
        shoot(page, "portal-rewards-zh-phone")
        page.click(f"[data-testid=reward-{world['reward'].pk}]")
        assert "将从您的余额中扣除 300 积分" in page.inner_text("main")
        page.click("button:has-text('确认兑换')")
        page.wait_for_url(f"{url}/redemptions/")
        assert "品牌帆布袋" in page.inner_text("main")
        # Too expensive: a clear error and no button
        expensive = page.goto(f"{url}/rewards/")
        assert expensive is not None
        page.click("text=保温杯")
        assert "您的积分不足" in page.inner_text("main")
        assert page.locator("button:has-text('确认兑换')").count() == 0

        # Claim a flash-sale coupon: the remaining quantity goes down by one
        page.goto(f"{url}/coupons/claim/")
        sale = world["sale"].pk
        assert page.inner_text(f"[data-testid=sale-left-{sale}]") == "剩余 38 / 50"
        assert page.locator(".countdown").first.inner_text() != ""
        shoot(page, "portal-claim-centre-zh-phone")
        page.click(f"[data-testid=sale-{sale}] button:has-text('立即抢')")
        page.wait_for_selector("text=领取成功")
        assert page.inner_text(f"[data-testid=sale-left-{sale}]") == "剩余 37 / 50"
        page.goto(f"{url}/coupons/")
        assert "满199减20" in page.inner_text("main")
        shoot(page, "portal-coupons-zh-phone")

        # Check in: the streak starts at one and the points arrive
        page.goto(f"{url}/check-in/")
        page.click("button:has-text('今日签到')")
        page.wait_for_selector("text=签到成功")
        assert page.inner_text("[data-testid=streak]") == "1"
        page.goto(f"{url}/")
        assert page.inner_text("[data-testid=available-points]") == "505"

        page.goto(f"{url}/benefits/")
        shoot(page, "portal-benefits-zh-phone")
        page.goto(f"{url}/me/")
        shoot(page, "portal-profile-zh-phone")

        # Switch to English: remembered for the next pages
        page.click("header button:has-text('English')")
        page.wait_for_selector("text=My profile")
        page.goto(f"{url}/")
        assert "Available points" in page.inner_text("main")
        shoot(page, "portal-home-en-phone")
        page.goto(f"{url}/points/")
        assert "Daily check-in" in page.inner_text("main")
        shoot(page, "portal-points-en-phone")

        desktop = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        desktop.context.add_cookies(page.context.cookies())
        for path, name in [
            ("/", "home"),
            ("/benefits/", "benefits"),
            ("/coupons/claim/", "claim-centre"),
        ]:
            desktop.goto(f"{url}{path}")
            shoot(desktop, f"portal-{name}-en-desktop")
        desktop.click("header button:has-text('简体中文')")
        desktop.wait_for_selector("header button:has-text('English')")
        for path, name in [("/", "home"), ("/rewards/", "rewards"), ("/check-in/", "check-in")]:
            desktop.goto(f"{url}{path}")
            shoot(desktop, f"portal-{name}-zh-desktop")
