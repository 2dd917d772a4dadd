"""The desk's work forms in real headless Chromium, in zh-Hans and English:
a lead fills the reply from a macro, applies it (reply sent, topic, tag and
status changed, each said), then reassigns the ticket to an agent of the
team (screenshot: docs/screenshots/service-desk-work-*.png)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.portal.tests.browser import DESKTOP, chromium, shoot
from patron.service import services
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket, TicketEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh": {
        "locale": "zh-CN",
        "name": "王小明",
        "applied": "快捷回复“物流答复”已应用。",
        "changes": [
            "已发送回复。",
            "主题：售前咨询 → 物流",
            "新增标签：物流",
            "状态：新 → 等待会员回复",
        ],
        "reassigned": "工单已重新分配。",
    },
    "en": {
        "locale": "en-GB",
        "name": "Ming Wang",
        "applied": "Macro “物流答复” applied.",
        "changes": [
            "Reply sent.",
            "Topic: pre-sale question → logistics",
            "Status: new → pending on the member",
            "Tags added: 物流",
        ],
        "reassigned": "The ticket has been reassigned.",
    },
}


def _world(shop: Shop, name: str) -> tuple[Ticket, AgentProfile]:
    now = clock.now()
    member = Member.objects.create(
        shop=shop,
        external_id="M000001",
        name=name,
        registered_at=now,
        created_at=now,
        updated_at=now,
    )
    roles_sync()
    user = User.objects.create_user("zhangzu", password="op-pass-123")
    OperatorMembership.objects.create(user=user, shop=shop, role="service_lead")
    team = Team.objects.create(shop=shop, code="pre", name="售前客服", created_at=now)
    lead = AgentProfile.objects.create(shop=shop, user=user, display_name="张组长", created_at=now)
    TeamMembership.objects.create(team=team, agent=lead, role="lead")
    other = User.objects.create_user("xiaoli")
    OperatorMembership.objects.create(user=other, shop=shop, role="service_agent")
    agent = AgentProfile.objects.create(shop=shop, user=other, display_name="小李", created_at=now)
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    services.macro_save(
        shop=shop,
        name="物流答复",
        body="{{ member.name }}，您的订单已交给物流。",
        actions=[
            {"action": "set_topic", "value": "logistics"},
            {"action": "add_tag", "value": "物流"},
            {"action": "set_status", "value": "pending"},
        ],
    )
    ticket = services.ticket_open(
        shop=shop,
        channel="chat",
        subject="订单什么时候发货？",
        body="订单 SO-1 什么时候发货？",
        member=member,
        topic="pre_sale",
    )
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    return ticket, agent


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_lead_applies_a_macro_and_reassigns_the_ticket(
    live_server: Any, shop: Shop, lang: str
) -> None:
    text = TEXTS[lang]
    ticket, agent = _world(shop, str(text["name"]))
    url = live_server.url
    reply = f"{text['name']}，您的订单已交给物流。"
    with chromium() as browser:
        page = browser.new_context(viewport=DESKTOP, locale=text["locale"]).new_page()
        page.goto(f"{url}/console/login/")
        page.fill("#id_username", "zhangzu")
        page.fill("#id_password", "op-pass-123")
        page.click("main button[type=submit]")
        page.wait_for_url(f"{url}/console/**")
        page.goto(f"{url}/console/service/tickets/{ticket.number}/")
        page.select_option("#macro", label="物流答复")
        page.click("[data-testid=macro-preview]")
        page.wait_for_load_state()
        assert page.input_value("#reply-body") == reply
        page.select_option("#macro", label="物流答复")
        page.click("[data-testid=macro-apply]")
        page.wait_for_selector(f"text={text['applied']}")
        said = page.inner_text("main")
        for change in text["changes"]:
            assert change in said, change
        assert reply in page.inner_text("[data-testid=timeline]")
        assert "物流" in page.inner_text("[data-testid=ticket-tags]")
        page.select_option("#reassign-agent", label="小李")
        page.click("[data-testid=reassign]")
        page.wait_for_selector(f"text={text['reassigned']}")
        assert "小李" in page.inner_text("[data-testid=ticket-facts]")
        shoot(page, f"service-desk-work-{lang}")
    ticket.refresh_from_db()
    assert (ticket.assignee_id, ticket.status, ticket.topic, ticket.tags) == (
        agent.pk,
        "pending",
        "logistics",
        ["物流"],
    )
    assert TicketEntry.objects.get(ticket=ticket, kind="reply").body == reply
