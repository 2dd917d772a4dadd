"""The assistant in the portal chat, end to end in headless Chromium, in
zh-Hans and English: the member asks a question and gets the answer, asks a
vague one and gets two candidate buttons (one opens its answer), then asks
for a person (转人工); the agent opens the ticket in the console and reads
the conversation so far in the assistant's note (screenshots:
docs/screenshots/assistant-chat-*.png, assistant-handoff-desk-*.png)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User

from patron.assistant.tests.conftest import entry
from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.portal import services as portal_services
from patron.portal.tests.browser import DESKTOP, MEMBER_PASSWORD, PHONE, chromium, shoot
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "zh": {
        "locale": "zh-CN",
        "language": "zh-hans",
        "sign_in": "登录",
        "question": "积分怎么获得？",  # a full-width mark
        "answer": "每消费 1 元得 1 积分。",
        "vague": "积分怎么",
        "candidates": ["积分怎么获得", "积分怎么使用"],
        "pick": "积分怎么使用",
        "candidate_answer": "结算时可用积分抵现，100 积分抵 1 元。",
        "person": "转人工",
    },
    "en": {
        "locale": "en-GB",
        "language": "en",
        "sign_in": "Sign in",
        "question": "How do I earn points?",
        "answer": "You earn 1 point for every yuan you spend.",
        "vague": "points",
        "candidates": ["How do I use points?", "How do I earn points?"],
        "pick": "How do I use points?",
        "candidate_answer": "At checkout 100 points pay 1 yuan.",
        "person": "Talk to a person",
    },
}


def _world(shop: Shop, language: str) -> Team:
    now = clock.now()
    member = Member.objects.create(
        shop=shop,
        external_id="M000001",
        name="王小明",
        phone="+8613800000001",
        language=language,
        registered_at=now - dt.timedelta(days=400),
        created_at=now,
        updated_at=now,
    )
    portal_services.credential_set_password(member=member, raw_password=MEMBER_PASSWORD)
    entry(
        shop, "returns-how", "怎么申请退货", "How do I return an item?", "7 天内可退。", "7 days."
    )
    entry(
        shop,
        "points-earn",
        "积分怎么获得",
        "How do I earn points?",
        "每消费 1 元得 1 积分。",
        "You earn 1 point for every yuan you spend.",
    )
    entry(
        shop,
        "points-use",
        "积分怎么使用",
        "How do I use points?",
        "结算时可用积分抵现，100 积分抵 1 元。",
        "At checkout 100 points pay 1 yuan.",
    )
    roles_sync()
    user = User.objects.create_user("xiaowang", password="op-pass-123")
    OperatorMembership.objects.create(user=user, shop=shop, role="service_agent")
    team = Team.objects.create(shop=shop, code="pre", name="售前客服", created_at=now)
    agent = AgentProfile.objects.create(
        shop=shop, user=user, display_name="小王", online=True, created_at=now
    )
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    return team


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_assistant_answers_offers_candidates_and_hands_over(
    live_server: Any, shop: Shop, lang: str
) -> None:
    text = TEXTS[lang]
    team = _world(shop, str(text["language"]))
    url = live_server.url
    with chromium() as browser:
        page = browser.new_context(viewport=PHONE, locale=text["locale"]).new_page()
        page.goto(f"{url}/sign-in/")
        page.fill("#id_identifier", "13800000001")
        page.fill("#id_password", MEMBER_PASSWORD)
        page.click(f"button[type=submit]:has-text('{text['sign_in']}')")
        page.wait_for_url(f"{url}/")
        page.goto(f"{url}/service/chat/")

        page.fill("#chat-body", str(text["question"]))
        page.click("[data-testid=chat-send]")
        answered = page.wait_for_selector("[data-testid=assistant-reply][data-outcome=answered]")
        assert answered is not None and text["answer"] in answered.inner_text()

        page.fill("#chat-body", str(text["vague"]))
        page.click("[data-testid=chat-send]")
        unsure = page.wait_for_selector("[data-testid=assistant-reply][data-outcome=unsure]")
        assert unsure is not None
        buttons = unsure.query_selector_all("[data-testid=assistant-candidate] summary")
        assert sorted(b.inner_text() for b in buttons) == sorted(text["candidates"])
        assert not page.is_visible(f"text={text['candidate_answer']}")
        unsure.query_selector(
            f"[data-testid=assistant-candidate] summary:has-text('{text['pick']}')"
        ).click()  # type: ignore[union-attr]
        page.wait_for_selector(f"text={text['candidate_answer']}", state="visible")
        shoot(page, f"assistant-chat-{lang}")

        page.click(f"[data-testid=chat-handoff]:has-text('{text['person']}')")
        page.wait_for_selector(f".chat-mine[data-entry]:has-text('{text['vague']}')")
        ticket = Ticket.objects.get(shop=shop)
        assert ticket.channel == "chat" and ticket.subject == text["vague"]
        Ticket.objects.filter(pk=ticket.pk).update(team=team)  # routing is the desk's part

        desk = browser.new_context(viewport=DESKTOP, locale=text["locale"]).new_page()
        desk.goto(f"{url}/console/login/")
        desk.fill("#id_username", "xiaowang")
        desk.fill("#id_password", "op-pass-123")
        desk.click("main button[type=submit]")
        desk.wait_for_url(f"{url}/console/**")
        desk.goto(f"{url}/console/service/")
        desk.click(f"[data-testid=ticket-{ticket.number}] a")
        desk.wait_for_url(f"{url}/console/service/tickets/{ticket.number}/")
        note = desk.inner_text("[data-testid=entry-note]")
        assert str(text["question"]) in note and str(text["vague"]) in note
        assert "points-earn" in note and "points-use" in note
        shoot(desk, f"assistant-handoff-desk-{lang}")
