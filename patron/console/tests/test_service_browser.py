"""The chat end to end in real headless Chromium, in zh-Hans and English: a
member opens a chat in the portal, an agent answers it in the console (a
second browser context), and the member's page shows the reply without being
reloaded, within three seconds (screenshots: docs/screenshots/portal-chat-*.png
and service-desk-ticket.png)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.orders.models import Order, OrderLine
from patron.portal import services as portal_services
from patron.portal.tests.browser import DESKTOP, MEMBER_PASSWORD, PHONE, chromium, shoot
from patron.promotions.tests.conftest import give_points
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket, TicketEntry
from patron.service.services import sla_policies_default
from patron.tiers.models import MemberTier, Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh": {
        "locale": "zh-CN",
        "language": "zh-hans",
        "sign_in": "登录",
        "contact": "在线咨询",
        "send": "发送",
        "question": "我的订单 SO-20261203 什么时候发货？",
        "queue": "您正在排队，当前第 1 位。",
        "reply": "您好，您的订单今天下午发出，请留意物流信息。",
        "sent": "回复已发送",
        "status": "处理中",
    },
    "en": {
        "locale": "en-GB",
        "language": "en",
        "sign_in": "Sign in",
        "contact": "Chat with us",
        "send": "Send",
        "question": "When will my order SO-20261203 ship?",
        "queue": "You are number 1 in the queue.",
        "reply": "Hello, your order ships this afternoon; watch for the tracking number.",
        "sent": "Your reply has been sent",
        "status": "open",
    },
}


def _world(shop: Shop, language: str) -> tuple[Member, Team]:
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
    order = Order.objects.create(
        shop=shop,
        member=member,
        external_id="SO-20261203",
        status="paid",
        paid_amount=25800,
        placed_at=now - dt.timedelta(days=1),
        updated_at=now,
    )
    OrderLine.objects.create(
        order=order, line_id="1", sku="TEA-01", name="明前龙井 250g", quantity=1, unit_price=25800
    )
    tiers_seed_defaults(shop=shop)
    MemberTier.objects.create(
        member=member,
        shop=shop,
        tier=Tier.objects.get(shop=shop, code="gold"),
        since=now,
        updated_at=now,
    )
    give_points(member, 2680)
    roles_sync()
    user = User.objects.create_user("xiaowang", password="op-pass-123")
    OperatorMembership.objects.create(user=user, shop=shop, role="service_agent")
    team = Team.objects.create(shop=shop, code="pre", name="售前客服", created_at=now)
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name="小王", online=True, created_at=now
    )
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    sla_policies_default(shop=shop)  # Gold: a first response due within the hour
    return member, team


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_member_sees_the_agents_reply_without_reloading(
    live_server: Any, shop: Shop, lang: str
) -> None:
    text = TEXTS[lang]
    member, team = _world(shop, text["language"])
    url = live_server.url
    with chromium() as browser:
        # the member, on a phone, signs in and writes from "Me"
        member_page = browser.new_context(viewport=PHONE, locale=text["locale"]).new_page()
        member_page.goto(f"{url}/sign-in/")
        member_page.fill("#id_identifier", "13800000001")
        member_page.fill("#id_password", MEMBER_PASSWORD)
        member_page.click(f"button[type=submit]:has-text('{text['sign_in']}')")
        member_page.wait_for_url(f"{url}/")
        member_page.goto(f"{url}/me/")
        member_page.click(f"text={text['contact']}")
        member_page.wait_for_url(f"{url}/service/chat/")
        member_page.fill("#chat-body", text["question"])
        member_page.click(f"[data-testid=chat-send]:has-text('{text['send']}')")
        member_page.wait_for_selector(f".chat-mine:has-text('{text['question']}')")
        assert text["queue"] in member_page.inner_text("[data-testid=chat-notice]")
        ticket = Ticket.objects.get(member=member)
        # routing (its own part of the desk) puts the chat in the team's queue
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        # a mark that a reload would wipe out
        member_page.evaluate("window.__notReloaded = true")

        # the agent answers in the console, in a second browser context
        desk = browser.new_context(viewport=DESKTOP, locale=text["locale"]).new_page()
        desk.goto(f"{url}/console/login/")
        desk.fill("#id_username", "xiaowang")
        desk.fill("#id_password", "op-pass-123")
        desk.click("main button[type=submit]")
        desk.wait_for_url(f"{url}/console/**")
        desk.goto(f"{url}/console/service/")
        desk.click(f"[data-testid=ticket-{ticket.number}] a")
        desk.wait_for_url(f"{url}/console/service/tickets/{ticket.number}/")
        panel = desk.inner_text("[data-testid=member-panel]")
        assert "SO-20261203" in panel and "2,680" in panel
        # the first response's due time counts down live, the page not reloaded
        left = desk.inner_text("[data-testid=due-left] >> nth=0")
        desk.wait_for_function(
            "(t) => document.querySelector('[data-testid=due-left]').textContent !== t",
            arg=left,
            timeout=3000,
        )
        assert ":" in desk.inner_text("[data-testid=due-left] >> nth=0")
        desk.fill("#reply-body", text["reply"])
        desk.click("[data-testid=reply]")
        desk.wait_for_selector(f"text={text['sent']}")
        assert text["reply"] in desk.inner_text("[data-testid=timeline]")

        # the member's page shows it within three seconds, not reloaded
        member_page.wait_for_selector(f".chat-theirs:has-text('{text['reply']}')", timeout=3000)
        assert member_page.evaluate("window.__notReloaded") is True
        assert "小王" in member_page.inner_text(".chat-theirs")
        assert member_page.inner_text("[data-testid=chat-status]") == text["status"]
        assert member_page.inner_text("[data-testid=chat-notice]") == ""
        shoot(member_page, f"portal-chat-{lang}")
        if lang == "zh":
            desk.fill("#note-body", "客户关心发货时间，已告知今天发出。")
            desk.click("[data-testid=note-form] button[type=submit]")
            desk.wait_for_selector("[data-testid=entry-note]")
            shoot(desk, "service-desk-ticket")
    assert list(
        TicketEntry.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True)
    )[:3] == ["member", "reply", "status"]
