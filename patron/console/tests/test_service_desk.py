"""The agents' desk in the console: the ticket list and its filters, a
ticket's conversation with the member panel, and the reply, note and status
forms, for each service role (agent: their teams' tickets; lead: the team's;
analyst: reads, never writes)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order, OrderLine
from patron.promotions.tests.conftest import give_points, issue, make_template
from patron.service import services
from patron.service.models import Ticket, TicketEntry
from patron.service.services.sla import sla_policies_default, sla_update
from patron.tiers.models import MemberTier, Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db

# The list, and a ticket page (with the member panel, and the lead check and
# the macros of the work forms), each on SQLite and PostgreSQL. The list
# loads the page's teams, assignees and contacts by key, one query each for
# those present on the page (here a team and an assignee). The ticket page
# reads the timeline's entry ids first, so a long one costs no more.
DESK_QUERIES = [14, 24]


def _subjects(client: Client, query: str = "") -> list[str]:
    page = client.get(f"/console/service/{query}")
    assert page.status_code == 200
    return re.findall(r"<td>(subject-\w+)</td>", page.content.decode())


def test_each_role_lists_the_tickets_it_may_see_newest_first(
    as_role: Any, desk: dict[str, Any]
) -> None:
    assert _subjects(as_role("service_agent")) == ["subject-pre"]
    assert _subjects(as_role("service_lead")) == ["subject-vip"]
    assert _subjects(as_role("analyst")) == ["subject-none", "subject-vip", "subject-pre"]
    assert as_role("marketing").get("/console/service/").status_code == 403


def test_the_list_filters(as_role: Any, desk: dict[str, Any], shop: Shop) -> None:
    client = as_role("analyst")
    presale, _vip = desk["teams"]
    assert _subjects(client, "?channel=email") == ["subject-vip"]
    assert _subjects(client, "?topic=logistics") == ["subject-none"]
    assert _subjects(client, f"?team={presale.pk}") == ["subject-pre"]
    services.ticket_status_set(ticket=desk["tickets"]["pre"], status="solved", agent=None)
    assert _subjects(client, "?status=solved") == ["subject-pre"]
    assert _subjects(client, "?status=active") == ["subject-none", "subject-vip"]
    Ticket.objects.filter(pk=desk["tickets"]["vip"].pk).update(assignee=desk["lead"])
    assert _subjects(client, "?unassigned=1") == ["subject-none", "subject-pre"]
    # the analyst answers no tickets: nothing is theirs
    assert _subjects(client, "?mine=1") == []
    assert _subjects(as_role("service_lead"), "?mine=1") == ["subject-vip"]
    # nonsense filters are ignored, never a 500
    assert len(_subjects(client, "?status=nope&team=x&channel=%00&page=abc")) == 3


def test_the_list_shows_tier_assignee_and_the_due_time(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    tiers_seed_defaults(shop=member.shop)
    MemberTier.objects.create(
        member=member,
        shop=member.shop,
        tier=Tier.objects.get(shop=member.shop, code="gold"),
        since=clock.now(),
        updated_at=clock.now(),
    )
    Ticket.objects.filter(pk=desk["tickets"]["pre"].pk).update(assignee=desk["agent"])
    # the Gold policy (no calendar: round the clock) holds the ticket from now on
    sla_policies_default(shop=member.shop)
    ticket = Ticket.objects.get(pk=desk["tickets"]["pre"].pk)
    sla = sla_update(ticket, at=clock.now(), rematch=True)
    assert sla is not None and sla.next_due is not None
    client = as_role("service_agent")
    page = client.get("/console/service/").content.decode()
    row = re.search(r'<tr data-testid="ticket-\d+">.*?</tr>', page, re.S)
    assert row is not None
    assert "金牌会员" in row.group(0) and "小王" in row.group(0)
    due = re.search(r'data-testid="due">(.*?)</td>', row.group(0), re.S)
    assert due is not None
    assert date_format(timezone.localtime(sla.next_due), "SHORT_DATETIME_FORMAT") in due.group(1)
    view = client.get(f"/console/service/tickets/{ticket.number}/").content.decode()
    shown = re.search(r'data-testid="due">(.*?)\n', view, re.S)
    assert shown is not None
    assert "首次响应" in shown.group(1) and "解决" in shown.group(1)
    # each with a live countdown (portal.js) from its exact due time
    assert f'data-until="{timezone.localtime(sla.next_due).isoformat()}"' in shown.group(1)


def test_the_list_is_paginated(as_role: Any, desk: dict[str, Any], member: Member) -> None:
    for i in range(50):
        services.ticket_open(
            shop=member.shop, channel="chat", subject=f"subject-x{i}", body="b", member=member
        )
    client = as_role("analyst")
    assert len(_subjects(client)) == 50
    assert len(_subjects(client, "?page=2")) == 3


def test_an_agent_reads_their_teams_ticket_and_no_other(as_role: Any, desk: dict[str, Any]) -> None:
    client = as_role("service_agent")
    tickets = desk["tickets"]
    assert client.get(f"/console/service/tickets/{tickets['pre'].number}/").status_code == 200
    for other in ("vip", "none"):
        number = tickets[other].number
        assert client.get(f"/console/service/tickets/{number}/").status_code == 404
        response = client.post(f"/console/service/tickets/{number}/reply/", {"body": "hi"})
        assert response.status_code == 404
    assert not TicketEntry.objects.filter(kind="reply").exists()


def test_the_analyst_reads_without_forms_and_cannot_post(
    as_role: Any, desk: dict[str, Any]
) -> None:
    client = as_role("analyst")
    number = desk["tickets"]["vip"].number
    page = client.get(f"/console/service/tickets/{number}/").content.decode()
    assert "body-vip" in page
    assert 'data-testid="reply-form"' not in page and 'data-testid="read-only"' in page
    for action, data in (
        ("reply", {"body": "x"}),
        ("note", {"body": "x"}),
        ("status", {"status": "solved"}),
    ):
        response = client.post(f"/console/service/tickets/{number}/{action}/", data)
        assert response.status_code == 403, action
    assert TicketEntry.objects.filter(ticket__number=number).count() == 1


def test_the_agent_replies_and_sets_pending_notes_and_solves(
    as_role: Any, desk: dict[str, Any]
) -> None:
    client = as_role("service_agent")
    ticket = desk["tickets"]["pre"]
    url = f"/console/service/tickets/{ticket.number}/"
    page = client.get(url).content.decode()
    assert 'data-testid="reply-pending"' in page
    response = client.post(url + "reply/", {"body": "请提供订单号", "then": "pending"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "pending" and ticket.first_response_at == clock.now()
    client.post(url + "note/", {"body": "客户很急"})
    client.post(url + "status/", {"status": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    page = client.get(url).content.decode()
    # replies, notes and status changes are each styled their own way
    for kind in ("member", "reply", "note", "status"):
        assert f'class="entry entry-{kind}"' in page, kind
    assert "状态：新 → 等待会员回复" in page
    assert [e.kind for e in TicketEntry.objects.filter(ticket=ticket).order_by("pk")] == [
        "member",
        "reply",
        "status",
        "note",
        "status",
    ]


def test_bad_input_is_shown_beside_the_form_and_saves_nothing(
    as_role: Any, desk: dict[str, Any]
) -> None:
    client = as_role("service_agent")
    ticket = desk["tickets"]["pre"]
    url = f"/console/service/tickets/{ticket.number}/"
    response = client.post(url + "reply/", {"body": "   "})
    assert response.status_code == 422
    assert 'data-testid="reply-error"' in response.content.decode()
    response = client.post(url + "reply/", {"body": "ok", "then": "bogus"})
    assert response.status_code == 422
    assert "ok</textarea>" in response.content.decode()
    for forged in ("new", "closed"):
        response = client.post(url + "reply/", {"body": "ok", "then": forged})
        assert response.status_code == 422, forged
    response = client.post(url + "status/", {"status": "bogus"})
    assert response.status_code == 422
    assert 'data-testid="status-error"' in response.content.decode()
    assert TicketEntry.objects.filter(ticket=ticket).count() == 1
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_a_double_submitted_reply_is_sent_once(as_role: Any, desk: dict[str, Any]) -> None:
    client = as_role("service_agent")
    url = f"/console/service/tickets/{desk['tickets']['pre'].number}/"
    page = client.get(url).content.decode()
    idem = re.search(r'name="idem" value="([0-9a-f]+)"', page)
    assert idem is not None
    for _ in range(2):
        client.post(url + "reply/", {"body": "好的", "idem": idem.group(1)})
    assert TicketEntry.objects.filter(kind="reply").count() == 1


def test_an_operator_without_an_agent_profile_cannot_reply(
    as_role: Any, desk: dict[str, Any]
) -> None:
    client = as_role("admin")
    url = f"/console/service/tickets/{desk['tickets']['pre'].number}/"
    assert 'data-testid="reply-form"' not in client.get(url).content.decode()
    assert client.post(url + "reply/", {"body": "x"}).status_code == 302
    assert not TicketEntry.objects.filter(kind="reply").exists()


def test_the_member_panel_shows_tier_points_coupons_orders_and_past_tickets(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    shop = member.shop
    tiers_seed_defaults(shop=shop)
    MemberTier.objects.create(
        member=member,
        shop=shop,
        tier=Tier.objects.get(shop=shop, code="gold"),
        since=clock.now(),
        updated_at=clock.now(),
    )
    give_points(member, 1234)
    issue(make_template(shop, name="满100减10"), member)
    now = clock.now()
    order = Order.objects.create(
        shop=shop,
        member=member,
        external_id="SO-7788",
        status="shipped",
        paid_amount=19900,
        placed_at=now,
        updated_at=now,
    )
    OrderLine.objects.create(
        order=order, line_id="1", sku="MUG", name="保温杯", quantity=2, unit_price=9950
    )
    page = (
        as_role("service_agent")
        .get(f"/console/service/tickets/{desk['tickets']['pre'].number}/")
        .content.decode()
    )
    panel = page[page.index('data-testid="member-panel"') :]
    assert "李雷" in panel
    assert re.search(r'data-testid="panel-tier">金牌会员', panel)
    assert re.search(r'data-testid="panel-points">1,?234', panel)
    assert "满100减10" in panel
    assert "SO-7788" in panel and "保温杯 × 2" in panel
    # no parcel yet, no open request
    assert 'data-testid="panel-parcel"' not in panel
    assert "没有进行中的退换货" in panel
    # the member's other tickets, not this one
    assert "subject-vip" in panel and "subject-none" in panel
    assert "subject-pre" not in panel
    assert 'data-testid="satisfaction-slot"' in panel


@pytest.mark.parametrize("extra", [0, 30])
def test_the_list_and_a_ticket_cost_the_same_queries_however_many_rows(
    as_role: Any, desk: dict[str, Any], member: Member, extra: int
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = desk["agent"]
    ticket = desk["tickets"]["pre"]
    for i in range(extra):
        other = services.ticket_open(
            shop=member.shop, channel="chat", subject=f"s{i}", body="b", member=member
        )
        Ticket.objects.filter(pk=other.pk).update(team=desk["teams"][0], assignee=agent)
        services.agent_reply(ticket=ticket, agent=agent, body=f"reply {i}")
        services.agent_note(ticket=ticket, agent=agent, body=f"note {i}")
    Ticket.objects.filter(pk=ticket.pk).update(assignee=agent)
    client = as_role("service_agent")
    counts = []
    for url in ("/console/service/", f"/console/service/tickets/{ticket.number}/"):
        client.get(url)  # warms per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    # measured; a query per row would add 30 here
    assert counts == DESK_QUERIES, counts


def test_the_member_panel_shows_parcels_and_open_returns_linked_to_their_page(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    from patron.orders.shipments import CheckpointInput, shipment_record
    from patron.service.models import ReturnLine, ReturnRequest

    now = clock.now()
    order = Order.objects.create(
        shop=member.shop,
        member=member,
        external_id="SO-7788",
        status="completed",
        paid_amount=19900,
        placed_at=now,
        updated_at=now,
    )
    line = OrderLine.objects.create(
        order=order, line_id="1", sku="MUG", name="保温杯", quantity=2, unit_price=9950
    )
    shipment_record(
        order=order,
        carrier="顺丰",
        tracking_number="SF123",
        checkpoints=[
            CheckpointInput(at=now, description="已揽收", location="杭州"),
            CheckpointInput(at=now + dt.timedelta(hours=5), description="派送中", location="上海"),
        ],
        at=now,
    )
    request = ReturnRequest.objects.create(
        shop=member.shop,
        order=order,
        member=member,
        kind="exchange",
        reason="size",
        state="sent_back",
        created_at=now,
        updated_at=now,
    )
    ReturnLine.objects.create(request=request, line=line, quantity=1)
    page = (
        as_role("service_agent")
        .get(f"/console/service/tickets/{desk['tickets']['pre'].number}/")
        .content.decode()
    )
    panel = page[page.index('data-testid="member-panel"') :]
    parcel = re.search(r'data-testid="panel-parcel">(.*?)</p>', panel, re.S)
    assert parcel is not None
    assert "顺丰" in parcel.group(1) and "SF123" in parcel.group(1)
    # the latest scan only
    assert "派送中" in parcel.group(1) and "已揽收" not in parcel.group(1)
    returns = re.search(r'data-testid="panel-returns">(.*?)</ul>\s*<h3>', panel, re.S)
    assert returns is not None
    assert f'href="/console/returns/{request.pk}/">R{request.pk}</a>' in returns.group(1)
    assert "换货" in returns.group(1) and "保温杯 × 1" in returns.group(1)
    assert re.search(r'data-testid="panel-return-state">[^<]+<', returns.group(1))


def _pager(client: Client, query: str = "") -> str:
    page = client.get(f"/console/service/{query}")
    assert page.status_code == 200
    found = re.search(r'<nav class="pager".*?</nav>', page.content.decode(), re.S)
    return found.group(0) if found else ""


def test_the_pager_counts_only_so_far_ahead(
    as_role: Any, desk: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from patron.console.views import service as desk_views

    # one ticket a page, counted two ahead: the analyst's three tickets make
    # "more than 2 pages" from the first page and all 3 from the second
    monkeypatch.setattr(desk_views, "PAGE_SIZE", 1)
    monkeypatch.setattr(desk_views, "COUNT_AHEAD", 2)
    analyst = as_role("analyst")
    first = _pager(analyst)
    assert "第 1 页，共 2 页以上" in first and "page=2" in first
    second = _pager(analyst, "?page=2")
    assert "第 2 页，共 3 页" in second and "以上" not in second and "page=3" in second
    third = _pager(analyst, "?page=3")
    assert "第 3 页，共 3 页" in third and 'data-testid="next-page"' not in third
    # past the end: the last page, as before
    assert "第 3 页，共 3 页" in _pager(analyst, "?page=9")
    # only the tickets the role may see are counted: the agent's one needs no pager
    assert _pager(as_role("service_agent")) == ""


def test_the_ticket_page_lists_each_entrys_attachments(
    as_role: Any, desk: dict[str, Any], settings: Any, tmp_path: Any
) -> None:
    from patron.service.services.attachments import Upload
    from patron.service.tests.desk_helpers import PDF, PNG

    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = desk["tickets"]["pre"]
    services.agent_reply(
        ticket=ticket,
        agent=desk["agent"],
        body="see the label",
        attachments=[Upload("label.png", PNG), Upload("invoice.pdf", PDF)],
    )
    services.agent_note(ticket=ticket, agent=desk["agent"], body="no files")
    page = as_role("service_agent").get(f"/console/service/tickets/{ticket.number}/")
    entries = re.findall(r'<li class="entry.*?</li>', page.content.decode(), re.S)
    files = [
        (re.findall(r'data-testid="entry-(\w+)"', entry)[0], re.findall(r"📎 ([\w.]+)", entry))
        for entry in entries
    ]
    # the reply's two files, in the order sent; none on the other entries
    assert [f for f in files if f[0] in ("member", "reply", "note")] == [
        ("member", []),
        ("reply", ["label.png", "invoice.pdf"]),
        ("note", []),
    ]
    assert sum(len(names) for _, names in files) == 2


def test_a_long_conversation_opens_with_the_request_and_the_latest_entries(
    as_role: Any, desk: dict[str, Any]
) -> None:
    from patron.console.views import service as desk_views

    ticket = desk["tickets"]["pre"]  # its first entry is the member's request
    for i in range(60):
        clock.advance(dt.timedelta(seconds=1))
        services.agent_note(ticket=ticket, agent=desk["agent"], body=f"note-{i:02d}")
    client = as_role("service_agent")

    def shown(query: str = "") -> tuple[list[str], str]:
        page = client.get(f"/console/service/tickets/{ticket.number}/{query}").content.decode()
        timeline = page[page.index('data-testid="timeline"') : page.index("</ol>")]
        bodies = re.findall(r"(body-pre|note-\d\d)", timeline)
        folded = re.search(r'data-testid="timeline-folded">(.*?)</li>', timeline, re.S)
        return bodies, folded.group(1) if folded else ""

    bodies, folded = shown()
    recent = desk_views.TIMELINE_RECENT
    # the request, then the latest 50 notes in order; the 10 between folded
    assert bodies == ["body-pre"] + [f"note-{i:02d}" for i in range(60 - recent, 60)]
    assert "显示中间 10 条更早的记录" in folded and "?all=1" in folded
    # "show all" lists every entry, nothing folded
    bodies, folded = shown("?all=1")
    assert bodies == ["body-pre"] + [f"note-{i:02d}" for i in range(60)]
    assert folded == ""
