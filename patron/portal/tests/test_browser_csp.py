"""The portal under its Content-Security-Policy in real Chromium: nothing is
blocked, and the page script still runs."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core.models import Shop
from patron.portal.tests.browser import MEMBER_PASSWORD, PHONE, chromium, loyalty_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_portal_pages_run_under_the_policy_with_nothing_blocked(
    live_server: Any, shop: Shop
) -> None:
    loyalty_world(shop)
    url = live_server.url
    with chromium() as browser:
        page = browser.new_page(viewport=PHONE, locale="zh-CN")
        violations: list[str] = []
        page.on(
            "console",
            lambda msg: (
                violations.append(msg.text) if "Content Security Policy" in msg.text else None
            ),
        )
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => "
            "console.log('Content Security Policy violation: ' + e.violatedDirective));"
        )
        page.goto(f"{url}/sign-in/")
        page.fill("#id_identifier", "13800000001")
        page.fill("#id_password", MEMBER_PASSWORD)
        page.click("button[type=submit]:has-text('登录')")
        page.wait_for_url(f"{url}/")
        for path in ("/", "/rewards/", "/coupons/claim/", "/check-in/", "/points/", "/me/"):
            response = page.goto(f"{url}{path}")
            assert response is not None and response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
        # portal.js ran: the flash-sale countdown was rewritten by the script
        page.goto(f"{url}/coupons/claim/")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-until]')]"
            ".every(el => /\\d\\d:\\d\\d:\\d\\d/.test(el.textContent))"
        )
        # the progress bar's width (a style attribute) is applied
        page.goto(f"{url}/")
        width = page.evaluate(
            "getComputedStyle(document.querySelector('[role=progressbar] span')).width"
        )
        assert width != "auto"
        # an injected inline script is refused
        page.evaluate(
            "() => { const s = document.createElement('script');"
            " s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }"
        )
        assert page.evaluate("window.__ran") is None
    blocked = [v for v in violations if "script-src" in v or "violation" in v]
    # exactly the one injected script was blocked, nothing of Patron's own
    assert len(blocked) >= 1
    assert all("script-src" in v for v in blocked), blocked
    assert len([v for v in violations if "violation:" in v]) == 1, violations
