"""An agent works a return from request to refund in real headless Chromium,
in Chinese and in English; the shop's refund then closes it and reverses the
refunded line's points (screenshot: docs/screenshots/service-return.png)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.points.models import EntryKind as PointsKind
from patron.points.models import LedgerEntry
from patron.portal.tests.browser import DESKTOP, chromium, shoot
from patron.service import services
from patron.service.models import AgentProfile, ReturnRequest, Team, TeamMembership
from patron.service.tests.returns_helpers import delivered_order, earning, refunded

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "zh-CN": {"refund_requested": "已通知商家退款", "closed": "已关闭"},
    "en-US": {"refund_requested": "refund requested from the shop", "closed": "closed"},
}


@pytest.mark.parametrize("locale", ["zh-CN", "en-US"])
def test_an_agent_works_a_return_to_its_refund(live_server: Any, shop: Shop, locale: str) -> None:
    roles_sync()
    member = Member.objects.create(
        shop=shop,
        external_id="M1",
        name="韩梅梅",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    earning(shop)
    delivered_order(shop, member)
    user = User.objects.create_user("xiaowang", password="op-pass-123")
    OperatorMembership.objects.create(user=user, shop=shop, role="service_agent")
    team = Team.objects.create(shop=shop, code="after", name="售后", created_at=clock.now())
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name="小王", created_at=clock.now()
    )
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="鞋子开胶", body="想退一双", member=member
    )
    ticket.team = team
    ticket.save(update_fields=["team"])
    request = services.return_request(
        member=member,
        order_id="O1",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="defective",
        description="鞋底开胶",
        ticket=ticket,
    )
    url = live_server.url
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP, locale=locale)
        page.goto(f"{url}/console/login/")
        page.fill("#id_username", "xiaowang")
        page.fill("#id_password", "op-pass-123")
        page.click("main button[type=submit]")
        page.wait_for_load_state()
        page.goto(f"{url}/console/returns/")
        page.click(f"[data-testid=return-{request.pk}] a")
        page.click("[data-testid=act-approve]")
        page.wait_for_selector("[data-testid=act-goods_sent]")
        form = page.locator("form:has([data-testid=act-goods_sent])")
        form.locator("input[name=carrier]").fill("顺丰")
        form.locator("input[name=tracking_number]").fill("SF1234567890")
        page.click("[data-testid=act-goods_sent]")
        page.click("[data-testid=act-receive]")
        page.click("[data-testid=act-refund]")
        state = page.locator("[data-testid=return-state]")
        state.wait_for()
        assert state.inner_text() == WORDS[locale]["refund_requested"]
        assert "SF1234567890" in page.inner_text("main")
        if locale == "zh-CN":
            shoot(page, "service-return")
        request.refresh_from_db()
        refunded(shop, member, request.refund_id, {"L1": 1})
        page.reload()
        assert page.locator("[data-testid=return-state]").inner_text() == WORDS[locale]["closed"]
    assert ReturnRequest.objects.get(pk=request.pk).state == "closed"
    reversed_points = LedgerEntry.objects.filter(account__member=member, kind=PointsKind.REVERSE)
    assert sum(e.points for e in reversed_points) == -100
