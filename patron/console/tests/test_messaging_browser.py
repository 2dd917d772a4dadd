"""The template preview in real headless Chromium: an operator opens a
trigger's e-mail template in English, which the kind has no wording for,
previews it for a member; the fallback to zh-Hans is flagged and the HTML is
shown in a sandboxed frame (screenshot: docs/screenshots/console-template-preview.png)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.portal.tests.browser import DESKTOP, chromium, shoot
from patron.portal.tests.inbox import NOTICE, notice_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_template_preview_flags_the_fallback_in_a_sandboxed_frame(
    live_server: Any, shop: Shop
) -> None:
    roles_sync()
    user = User.objects.create_user("mia", password="op-pass-123")
    OperatorMembership.objects.create(user=user, shop=shop, role="marketing")
    now = clock.now()
    Member.objects.create(
        shop=shop,
        external_id="M000042",
        name="王小明",
        registered_at=now,
        created_at=now,
        updated_at=now,
    )
    url = live_server.url
    with notice_kind(), chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
        page.goto(f"{url}/console/login/")
        page.fill("#id_username", "mia")
        page.fill("#id_password", "op-pass-123")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{url}/console/**")
        page.click("nav a:has-text('消息触发')")
        row = page.locator(f"[data-testid='kind-{NOTICE.code}']")
        assert row.locator("[data-testid=state]").inner_text() == "已开启"
        row.locator("a:has-text('邮箱')").click()
        page.click("[data-testid=language-en]")
        # No English wording: the form is empty, the preview falls back
        page.fill("[data-testid=preview-member]", "M000042")
        page.click("[data-testid=preview] button[type=submit]")
        page.wait_for_selector("[data-testid=fell-back]")
        assert "回退为简体中文" in page.inner_text("[data-testid=fell-back]")
        assert page.inner_text("[data-testid=preview-subject]") == "王小明，[title]"
        frame_element = page.locator("iframe[data-testid=preview-html]")
        assert frame_element.get_attribute("sandbox") == ""
        frame = frame_element.element_handle().content_frame()
        assert frame is not None
        assert frame.inner_text("b") == "[detail]"
        shoot(page, "console-template-preview")
