"""The member's inbox and message preferences in real headless Chromium, in
zh-Hans and in English (screenshots: docs/screenshots/portal-inbox-*.png and
portal-preferences-*.png)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.models import ConsentChange, Message
from patron.messaging.selectors import preferences_of
from patron.portal import services as portal_services
from patron.portal.tests.browser import DESKTOP, MEMBER_PASSWORD, chromium, shoot
from patron.portal.tests.inbox import deliver_notices, notice_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh": {
        "locale": "zh-CN",
        "language": "zh-hans",
        "sign_in": "登录",
        "subject": "通知：{}",
        "deleted": "消息已删除",
        "saved": "您的消息设置已保存",
        "change": "营销 · 邮箱: 已开启",
    },
    "en": {
        "locale": "en-GB",
        "language": "en",
        "sign_in": "Sign in",
        "subject": "Notice: {}",
        "deleted": "The message has been deleted",
        "saved": "Your message preferences have been saved",
        "change": "Marketing · e-mail: on",
    },
}


def _member(shop: Shop, language: str) -> Member:
    now = clock.now()
    member = Member.objects.create(
        shop=shop,
        external_id="M000001",
        name="王小明" if language == "zh-hans" else "Ming Wang",
        phone="+8613800000001",
        email="xiaoming@example.com",
        language=language,
        registered_at=now - dt.timedelta(days=400),
        created_at=now,
        updated_at=now,
    )
    portal_services.credential_set_password(member=member, raw_password=MEMBER_PASSWORD)
    return member


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_inbox_badge_open_delete_and_preferences(live_server: Any, shop: Shop, lang: str) -> None:
    text = TEXTS[lang]
    member = _member(shop, text["language"])
    url = live_server.url
    with notice_kind():
        titles = (
            ["积分到账 +120", "您已升级为银卡会员", "优惠券即将过期"]
            if lang == "zh"
            else ["120 points arrived", "Welcome to Silver", "A coupon expires soon"]
        )
        first, second, third = deliver_notices(member, titles)
        with chromium() as browser:
            page = browser.new_page(viewport=DESKTOP, locale=text["locale"])
            page.goto(f"{url}/sign-in/")
            page.fill("#id_identifier", "13800000001")
            page.fill("#id_password", MEMBER_PASSWORD)
            page.click(f"button[type=submit]:has-text('{text['sign_in']}')")
            page.wait_for_url(f"{url}/")
            badge = ".topnav [data-testid=unread-badge]"
            # Given three unread messages, every page shows the badge
            assert page.inner_text(badge) == "3"
            page.click(".topnav a[href='/inbox/']")
            page.wait_for_url(f"{url}/inbox/")
            items = page.locator("[data-testid=inbox] li")
            assert items.count() == 3
            assert text["subject"].format(titles[2]) in items.nth(0).inner_text()  # newest first

            # Opening one marks it read: the badge drops to two
            page.click(f"[data-testid=message-{second.pk}] a.inbox-subject")
            page.wait_for_url(f"{url}/inbox/{second.pk}/")
            assert titles[1] in page.inner_text("[data-testid=message]")
            assert page.inner_text(badge) == "2"

            # Deleting an unread one: gone from the list, the badge drops to one
            page.goto(f"{url}/inbox/")
            page.click(f"[data-testid=message-{third.pk}] form[action$='/delete/'] button")
            page.wait_for_selector(f"text={text['deleted']}")
            assert page.locator(f"[data-testid=message-{third.pk}]").count() == 0
            assert page.locator("[data-testid=inbox] li").count() == 2
            assert page.inner_text(badge) == "1"
            shoot(page, f"portal-inbox-{lang}")

            # Preferences: opt in to marketing e-mail; a reload shows it, and the change
            page.goto(f"{url}/me/messages/")
            box = page.locator("[data-testid='pref-email.marketing']")
            assert not box.is_checked()
            assert page.locator("[data-testid='pref-inapp.transactional']").is_disabled()
            box.check()
            page.click("main button[type=submit]")
            page.wait_for_selector(f"text={text['saved']}")
            page.reload()
            assert page.locator("[data-testid='pref-email.marketing']").is_checked()
            assert text["change"] in page.inner_text("[data-testid=consent-changes]")
            shoot(page, f"portal-preferences-{lang}")

    assert preferences_of(member)["email"]["marketing"] is True
    assert list(ConsentChange.objects.filter(member=member).values_list("source", flat=True)) == [
        "portal"
    ]
    assert Message.objects.get(pk=first.pk).read_at is None
    assert Message.objects.get(pk=third.pk).deleted_at is not None
