"""The webhook delivery log in real headless Chromium: a delivery that a real
local receiver first refused with a 500, its attempts and answers, and the
resend that delivers it (screenshot: docs/screenshots/console-webhook-deliveries.png)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.messaging.models import WebhookDelivery
from patron.messaging.tests.http_server import Reply, local_server
from patron.messaging.webhooks import services
from patron.portal.tests.browser import DESKTOP, chromium, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@override_settings(PATRON_WEBHOOK_ALLOW_PRIVATE=True, PATRON_WEBHOOK_TIMEOUT=2)
def test_the_delivery_log_shows_attempts_and_resend_delivers(live_server: Any, shop: Shop) -> None:
    roles_sync()
    user = User.objects.create_user("boss", password="op-pass-123", is_staff=True)
    OperatorMembership.objects.create(user=user, shop=shop, role="admin")
    answers = iter(
        [Reply(500, '{"error":"database locked"}'), Reply(500, "still down"), Reply(200, "ok")]
    )
    with local_server(lambda r: next(answers)) as receiver:
        subscription, _secret = services.webhook_subscription_create(
            shop=shop,
            url=receiver.url + "/patron/hooks",
            event_types=["member.*", "points.adjusted"],
            description="ERP 会员同步",
            actor=None,
        )
        delivered_first = services.webhook_emit(
            shop=shop, event_type="member.tier_changed", event_id="evt-1001", payload={"tier": "金"}
        )[0]
        (failing,) = services.webhook_emit(
            shop=shop, event_type="points.adjusted", event_id="evt-1002", payload={"points": 500}
        )
        WebhookDelivery.objects.filter(pk=delivered_first.pk).update(next_attempt_at=None)
        services.webhook_deliver(failing.pk)
        WebhookDelivery.objects.filter(pk=failing.pk).update(next_attempt_at=failing.created_at)
        services.webhook_deliver(failing.pk)
        WebhookDelivery.objects.filter(pk=failing.pk).update(state="failed", next_attempt_at=None)

        url = live_server.url
        with chromium() as browser:
            page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
            page.goto(f"{url}/console/login/")
            page.fill("#id_username", "boss")
            page.fill("#id_password", "op-pass-123")
            page.click("main button[type=submit]")
            page.wait_for_url(f"{url}/console/dashboard/")
            page.click("nav a:has-text('Webhook')")
            page.click(f"[data-testid=subscription-{subscription.pk}] a:has-text('投递记录')")
            card = page.locator(f"[data-testid=delivery-{failing.pk}]")
            assert card.locator("[data-testid=state]").inner_text() == "失败"
            text = card.inner_text()
            assert "database locked" in text and "still down" in text
            assert card.locator("td.num:has-text('500')").count() == 2
            shoot(page, "console-webhook-deliveries")

            card.locator("input[name=confirm]").check()
            card.locator("button:has-text('重新发送')").click()
            page.wait_for_selector(f"text=投递 {failing.pk} 将重新发送")
            assert services.webhook_deliver_due() == 1
            page.reload()
            card = page.locator(f"[data-testid=delivery-{failing.pk}]")
            assert card.locator("[data-testid=state]").inner_text() == "已送达"
            assert card.locator("td.num:has-text('200')").count() == 1

    assert len(receiver.received) == 3
    assert WebhookDelivery.objects.get(pk=failing.pk).state == "delivered"
