"""The desk's work forms on a ticket (views/service_work.py): reassign (leads
of the ticket's team and admins only), merge with a confirmation, tags and
macros; each with its errors (the page again, the message beside the form,
nothing changed) and its role checks (another team's ticket is not found,
the analyst gets no form and a forbidden POST)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import AgentProfile, Macro, Team, TeamMembership, Ticket, TicketEntry

pytestmark = pytest.mark.django_db


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/console/service/tickets/{ticket.number}/" + (f"{action}/" if action else "")


def _page(client: Client, ticket: Ticket) -> str:
    response = client.get(_url(ticket))
    assert response.status_code == 200
    return response.content.decode()


def _state(ticket: Ticket) -> tuple[Any, ...]:
    ticket = Ticket.objects.get(pk=ticket.pk)
    return (
        ticket.team_id,
        ticket.assignee_id,
        ticket.status,
        ticket.topic,
        ticket.tags,
        ticket.merged_into_id,
        TicketEntry.objects.filter(ticket=ticket).count(),
    )


def _said(client: Client, response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"]).content.decode()


# --- reassign ------------------------------------------------------------------------


def test_the_lead_reassigns_their_teams_ticket_to_another_team_and_agent(
    as_role: Any, desk: dict[str, Any]
) -> None:
    presale, _vip = desk["teams"]
    ticket = desk["tickets"]["vip"]
    lead = as_role("service_lead")
    page = _page(lead, ticket)
    assert 'data-testid="reassign-form"' in page and "小王" in page
    response = lead.post(
        _url(ticket, "reassign"), {"team": presale.pk, "assignee": desk["agent"].pk}
    )
    # moved out of the lead's teams: back to the desk's list
    assert response.status_code == 302 and response["Location"] == "/console/service/"
    assert "工单已重新分配。" in _said(lead, response)
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (presale.pk, desk["agent"].pk)
    entry = TicketEntry.objects.filter(ticket=ticket, kind="action").latest("pk")
    assert entry.data["action"] == "reassigned" and entry.author_id == desk["lead"].pk
    assert "<p>已重新分配</p>" in as_role("analyst").get(_url(ticket)).content.decode()
    # now it is the agent's: they see it; the lead (not of pre-sale) no longer does
    assert as_role("service_agent").get(_url(ticket)).status_code == 200
    assert lead.get(_url(ticket)).status_code == 404


def test_an_agent_who_leads_no_team_gets_no_reassign_form_and_a_forbidden_post(
    as_role: Any, desk: dict[str, Any]
) -> None:
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    assert 'data-testid="reassign-form"' not in _page(agent, ticket)
    before = _state(ticket)
    response = agent.post(_url(ticket, "reassign"), {"assignee": desk["agent"].pk})
    assert response.status_code == 403
    assert _state(ticket) == before


def test_reassign_errors_are_shown_beside_the_form_and_change_nothing(
    as_role: Any, desk: dict[str, Any], shop: Shop
) -> None:
    ticket = desk["tickets"]["vip"]
    lead = as_role("service_lead")
    before = _state(ticket)
    for data in (
        {"assignee": desk["agent"].pk},  # 小王 is not in VIP
        {"team": "nope"},
        {"team": 999999},
        {"assignee": "x"},
        {},  # neither a new team nor a new agent
    ):
        response = lead.post(_url(ticket, "reassign"), data)
        assert response.status_code == 422, data
        assert 'data-testid="reassign-error"' in response.content.decode(), data
        assert _state(ticket) == before, data


def test_an_admin_reassigns_any_ticket_and_the_analyst_cannot(
    as_role: Any, desk: dict[str, Any]
) -> None:
    presale, _vip = desk["teams"]
    ticket = desk["tickets"]["none"]
    analyst = as_role("analyst")
    assert 'data-testid="reassign-form"' not in _page(analyst, ticket)
    before = _state(ticket)
    assert analyst.post(_url(ticket, "reassign"), {"team": presale.pk}).status_code == 403
    assert _state(ticket) == before
    admin = as_role("admin")  # no agent profile, leads no team
    assert 'data-testid="reassign-form"' in _page(admin, ticket)
    response = admin.post(_url(ticket, "reassign"), {"team": presale.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.team_id == presale.pk and ticket.assignee_id is None


def test_another_teams_ticket_is_not_found_for_every_work_form(
    as_role: Any, desk: dict[str, Any]
) -> None:
    ticket = desk["tickets"]["vip"]
    agent = as_role("service_agent")
    before = _state(ticket)
    for action, data in (
        ("merge", {"target": desk["tickets"]["pre"].number}),
        ("tags", {"add": "x"}),
        ("macro", {"macro": "1", "do": "apply"}),
        ("call", {"direction": "in", "number": "13800000000", "duration": "1"}),
    ):
        assert agent.post(_url(ticket, action), data).status_code == 404, action
    assert _state(ticket) == before
    # a lead, of another team: not found either
    pre = desk["tickets"]["pre"]
    before = _state(pre)
    response = as_role("service_lead").post(_url(pre, "reassign"), {"team": desk["teams"][1].pk})
    assert response.status_code == 404
    assert _state(pre) == before


def test_the_analyst_gets_no_work_forms_and_every_post_is_forbidden(
    as_role: Any, desk: dict[str, Any]
) -> None:
    ticket = desk["tickets"]["pre"]
    analyst = as_role("analyst")
    page = _page(analyst, ticket)
    for form in ("macro-form", "tags-form", "call-form", "merge-form", "reassign-form"):
        assert f'data-testid="{form}"' not in page, form
    before = _state(ticket)
    for action in ("merge", "tags", "macro", "call"):
        assert analyst.post(_url(ticket, action), {"add": "x"}).status_code == 403, action
    assert _state(ticket) == before


# --- merge ---------------------------------------------------------------------------


def _second(desk: dict[str, Any], member: Member, subject: str = "again") -> Ticket:
    ticket = services.ticket_open(
        shop=member.shop, channel="chat", subject=subject, body="same question", member=member
    )
    Ticket.objects.filter(pk=ticket.pk).update(team=desk["teams"][0])
    ticket.refresh_from_db()
    return ticket


def test_merge_asks_for_confirmation_then_merges_and_goes_to_the_target(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    source = _second(desk, member)
    target = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    asked = agent.post(_url(source, "merge"), {"target": f"T{target.number}"})
    assert asked.status_code == 200
    page = asked.content.decode()
    assert 'data-testid="merge-confirm"' in page and target.subject in page
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None
    idem = re.search(r'data-testid="merge-confirm".*?name="idem" value="(\w+)"', page, re.S)
    assert idem is not None
    response = agent.post(
        _url(source, "merge"),
        {"target": str(target.number), "confirm": "1", "idem": idem.group(1)},
    )
    assert response.status_code == 302 and response["Location"] == _url(target)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and source.status == "closed"
    assert TicketEntry.objects.filter(ticket=target, body="same question").exists()
    assert f"由 T{source.number} 合并而来" in _page(agent, target)
    # the merged ticket is no longer on the desk
    assert agent.get(_url(source)).status_code == 404


def test_merge_errors_are_form_messages_and_change_nothing(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    source = desk["tickets"]["pre"]
    gone = _second(desk, member, "merged away")
    other = _second(desk, member, "other")
    services.ticket_merge(source=gone, target=other, agent=desk["agent"])
    closed = _second(desk, member, "closed one")
    services.ticket_status_set(ticket=closed, status="closed", agent=None)
    agent = as_role("service_agent")
    before = _state(source)
    for target, confirm in (
        (str(source.number), ""),  # itself
        (str(desk["tickets"]["vip"].number), ""),  # not visible to this agent
        (str(gone.number), ""),  # already merged
        (str(closed.number), ""),  # closed
        ("abc", ""),
        ("99999", "1"),
        (str(closed.number), "1"),  # a forged confirmation is checked again
    ):
        response = agent.post(_url(source, "merge"), {"target": target, "confirm": confirm})
        assert response.status_code == 422, target
        page = response.content.decode()
        assert 'data-testid="merge-error"' in page, target
        assert _state(source) == before, target
    response = agent.post(_url(source, "merge"), {"target": str(gone.number)})
    assert "已合并到另一个工单" in response.content.decode()


# --- tags ----------------------------------------------------------------------------


def test_tags_are_added_and_removed(as_role: Any, desk: dict[str, Any]) -> None:
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    assert agent.post(_url(ticket, "tags"), {"add": "VIP, 加急 退款"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.tags == ["vip", "加急", "退款"]
    assert 'data-testid="tag-remove-加急"' in _page(agent, ticket)
    assert agent.post(_url(ticket, "tags"), {"remove": "加急"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.tags == ["vip", "退款"]


def test_bad_tags_are_refused_beside_the_form(as_role: Any, desk: dict[str, Any]) -> None:
    ticket = desk["tickets"]["pre"]
    Ticket.objects.filter(pk=ticket.pk).update(tags=["vip"])
    agent = as_role("service_agent")
    before = _state(ticket)
    for data in ({"add": "x" * 41}, {"add": "  "}, {"remove": "nope"}, {"add": "vip"}):
        response = agent.post(_url(ticket, "tags"), data)
        assert response.status_code == 422, data
        assert 'data-testid="tags-error"' in response.content.decode(), data
        assert _state(ticket) == before, data
    response = agent.post(_url(ticket, "tags"), {"add": " ".join(f"t{i}" for i in range(25))})
    assert response.status_code == 422 and 'value="t0 t1' in response.content.decode()
    assert _state(ticket) == before


# --- macros --------------------------------------------------------------------------


@pytest.fixture
def macro(shop: Shop) -> Macro:
    return services.macro_save(
        shop=shop,
        name="发货说明",
        body="{{ member.name }}您好，工单 {{ ticket.reference }} 已转物流组。",
        actions=[
            {"action": "set_topic", "value": "logistics"},
            {"action": "add_tag", "value": "物流"},
            {"action": "set_status", "value": "pending"},
        ],
    )


def test_a_macro_fills_the_reply_then_applies_and_says_what_changed(
    as_role: Any, desk: dict[str, Any], macro: Macro
) -> None:
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    assert "发货说明" in _page(agent, ticket)
    text = f"李雷您好，工单 T{ticket.number} 已转物流组。"
    preview = agent.post(_url(ticket, "macro"), {"macro": macro.pk, "do": "preview"})
    assert preview.status_code == 200
    assert f">{text}</textarea>" in preview.content.decode()
    assert TicketEntry.objects.filter(ticket=ticket).count() == 1  # nothing written
    response = agent.post(_url(ticket, "macro"), {"macro": macro.pk, "do": "apply"})
    page = _said(agent, response)
    ticket.refresh_from_db()
    assert (ticket.topic, ticket.tags, ticket.status) == ("logistics", ["物流"], "pending")
    assert TicketEntry.objects.get(ticket=ticket, kind="reply").body == text
    assert "快捷回复“发货说明”已应用" in page and "已发送回复" in page
    assert "主题：售前咨询 → 物流" in page and "新增标签：物流" in page
    assert "状态：新 → 等待会员回复" in page


def test_macro_errors_are_shown_and_change_nothing(
    as_role: Any, desk: dict[str, Any], macro: Macro, shop: Shop
) -> None:
    ticket = desk["tickets"]["pre"]
    other_shop = Shop.objects.create(name="other")
    foreign = services.macro_save(shop=other_shop, name="x", body="hi")
    retired = services.macro_save(shop=shop, name="old", body="old")
    Macro.objects.filter(pk=retired.pk).update(active=False)
    agent = as_role("service_agent")
    before = _state(ticket)
    for value in ("", "abc", str(foreign.pk), str(retired.pk)):
        for do in ("apply", "preview"):
            response = agent.post(_url(ticket, "macro"), {"macro": value, "do": do})
            assert response.status_code == 422, (value, do)
            assert 'data-testid="macro-error"' in response.content.decode()
            assert _state(ticket) == before
    # a macro whose action fails (the ticket is closed) writes nothing either
    services.ticket_status_set(ticket=ticket, status="closed", agent=None)
    before = _state(ticket)
    assert agent.post(_url(ticket, "macro"), {"macro": macro.pk}).status_code == 422
    assert _state(ticket) == before


def test_a_lead_of_two_teams_sees_the_agents_of_each(
    as_role: Any, desk: dict[str, Any], shop: Shop, operators: dict[str, User]
) -> None:
    presale, _vip = desk["teams"]
    TeamMembership.objects.create(team=presale, agent=desk["lead"], role="lead")
    retired = Team.objects.create(
        shop=shop, code="old", name="已停用组", active=False, created_at=clock.now()
    )
    ghost = AgentProfile.objects.create(
        shop=shop, user=operators["finance"], display_name="离职的", created_at=clock.now()
    )
    TeamMembership.objects.create(team=retired, agent=ghost, role="agent")
    page = _page(as_role("service_lead"), desk["tickets"]["pre"])
    form = page[page.index('data-testid="reassign-form"') :]
    assert '<optgroup label="售前">' in form and '<optgroup label="VIP">' in form
    assert "离职的" not in form and "已停用组" not in form
