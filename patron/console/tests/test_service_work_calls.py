"""The desk's phone calls (on a ticket, and as a new ticket from the list),
attachments on replies and notes with their download links, and the "SLA at
risk" page, each with its errors and its role checks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from patron.core import clock
from patron.members.models import Member
from patron.service import services
from patron.service.models import Attachment, Ticket, TicketEntry, TicketSla
from patron.service.services.sla import sla_policies_default, sla_scan, sla_update
from patron.service.tests.desk_helpers import PDF, PNG

pytestmark = pytest.mark.django_db

CALL = {
    "direction": "out",
    "number": "138 0013 8000",
    "duration": "2:05",
    "outcome": "resolved",
    "notes": "已回电说明发货时间",
}


def _url(ticket: Ticket, action: str = "") -> str:
    return f"/console/service/tickets/{ticket.number}/" + (f"{action}/" if action else "")


# --- calls ---------------------------------------------------------------------------


def test_the_agent_logs_a_call_on_the_ticket(as_role: Any, desk: dict[str, Any]) -> None:
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    assert agent.post(_url(ticket, "call"), CALL).status_code == 302
    entry = TicketEntry.objects.get(ticket=ticket, kind="call")
    assert entry.data == {
        "direction": "out",
        "number": "+8613800138000",
        "duration_seconds": 125,
        "outcome": "resolved",
    }
    assert entry.body == CALL["notes"] and entry.author_id == desk["agent"].pk
    page = agent.get(_url(ticket)).content.decode()
    assert 'data-testid="entry-call"' in page
    assert "呼出 +8613800138000 · 2:05 · 已解决" in page


@pytest.mark.parametrize(
    "change",
    [
        {"number": "123"},
        {"duration": "abc"},
        {"duration": "1441:00"},  # over a day
        {"outcome": "maybe"},
        {"direction": "sideways"},
        {"notes": "x" * 20001},
    ],
)
def test_a_bad_call_is_refused_beside_the_form_and_logs_nothing(
    as_role: Any, desk: dict[str, Any], change: dict[str, str]
) -> None:
    ticket = desk["tickets"]["pre"]
    response = as_role("service_agent").post(_url(ticket, "call"), {**CALL, **change})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'data-testid="call-error"' in page
    if "number" not in change:
        assert 'value="138 0013 8000"' in page  # the form keeps what was typed
    assert TicketEntry.objects.filter(ticket=ticket).count() == 1


def _new_call(client: Client, **change: str) -> Any:
    page = client.get("/console/service/calls/new/")
    assert page.status_code == 200
    idem = re.search(r'name="idem" value="(\w+)"', page.content.decode())
    assert idem is not None
    data = {**CALL, "subject": "", "topic": "logistics", "member": "", **change}
    return client.post("/console/service/calls/new/", {**data, "idem": idem.group(1)})


def test_a_call_becomes_a_new_phone_ticket_for_the_member_named(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    agent = as_role("service_agent")
    assert 'data-testid="call-new-link"' in agent.get("/console/service/").content.decode()
    for named in ("M200", "139 1234 5678"):
        response = _new_call(agent, member=named)
        assert response.status_code == 302
        ticket = Ticket.objects.latest("pk")
        assert response["Location"] == _url(ticket)
        assert (ticket.channel, ticket.member_id, ticket.assignee_id, ticket.topic) == (
            "phone",
            member.pk,
            desk["agent"].pk,
            "logistics",
        )
        assert TicketEntry.objects.get(ticket=ticket).kind == "call"
        assert agent.get(response["Location"]).status_code == 200
    # without a member the caller's number is the contact
    assert _new_call(agent).status_code == 302
    ticket = Ticket.objects.latest("pk")
    assert ticket.member_id is None and ticket.contact is not None
    assert ticket.contact.handle == "+8613800138000"


def test_a_bad_new_call_creates_no_ticket(as_role: Any, desk: dict[str, Any]) -> None:
    agent = as_role("service_agent")
    count = Ticket.objects.count()
    for change in ({"member": "M999"}, {"number": "nope"}, {"duration": "-1"}):
        response = _new_call(agent, **change)
        assert response.status_code == 422, change
        assert 'data-testid="call-error"' in response.content.decode()
        assert Ticket.objects.count() == count, change


def test_a_new_call_submitted_twice_is_one_ticket(as_role: Any, desk: dict[str, Any]) -> None:
    agent = as_role("service_agent")
    page = agent.get("/console/service/calls/new/").content.decode()
    idem = re.search(r'name="idem" value="(\w+)"', page)
    assert idem is not None
    count = Ticket.objects.count()
    data = {**CALL, "topic": "other", "idem": idem.group(1)}
    first = agent.post("/console/service/calls/new/", data)
    again = agent.post("/console/service/calls/new/", data)
    assert first["Location"] == again["Location"]
    assert Ticket.objects.count() == count + 1


def test_only_agents_log_new_calls(as_role: Any, desk: dict[str, Any]) -> None:
    count = Ticket.objects.count()
    analyst = as_role("analyst")
    assert 'data-testid="call-new-link"' not in analyst.get("/console/service/").content.decode()
    assert analyst.get("/console/service/calls/new/").status_code == 403
    assert analyst.post("/console/service/calls/new/", CALL).status_code == 403
    # an admin without an agent profile is told why
    assert as_role("admin").post("/console/service/calls/new/", CALL).status_code == 302
    assert Ticket.objects.count() == count


# --- attachments ---------------------------------------------------------------------


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def _file(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_files_on_a_reply_and_a_note_are_downloaded_by_who_sees_the_ticket(
    as_role: Any, desk: dict[str, Any], media: Path
) -> None:
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    response = agent.post(
        _url(ticket, "reply"), {"body": "请看截图", "attachments": [_file("截图.png", PNG)]}
    )
    assert response.status_code == 302
    response = agent.post(
        _url(ticket, "note"), {"body": "发票", "attachments": [_file("invoice.pdf", PDF)]}
    )
    assert response.status_code == 302
    png = Attachment.objects.get(entry__kind="reply")
    pdf = Attachment.objects.get(entry__kind="note")
    assert (png.name, png.content_type, pdf.content_type) == (
        "截图.png",
        "image/png",
        "application/pdf",
    )
    page = agent.get(_url(ticket)).content.decode()
    for attachment in (png, pdf):
        assert f'href="/console/service/attachments/{attachment.pk}/"' in page
    download = agent.get(f"/console/service/attachments/{png.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG  # type: ignore[attr-defined]
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert as_role("analyst").get(f"/console/service/attachments/{pdf.pk}/").status_code == 200
    # another team's lead: not found, like the ticket; marketing: no desk at all
    assert as_role("service_lead").get(f"/console/service/attachments/{png.pk}/").status_code == 404
    assert as_role("marketing").get(f"/console/service/attachments/{png.pk}/").status_code == 403
    assert agent.get("/console/service/attachments/999999/").status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("notes.txt", b"just text", "仅接受图片"),
        ("photo.pdf", PNG, "photo.pdf"),
        ("big.png", PNG + b"\x00" * 64, "MB"),
        ("empty.png", b"", ""),
    ],
)
def test_a_bad_file_is_refused_beside_the_form_and_nothing_is_saved(
    as_role: Any,
    desk: dict[str, Any],
    media: Path,
    settings: Any,
    name: str,
    content: bytes,
    problem: str,
) -> None:
    settings.PATRON_SERVICE_ATTACHMENT_MAX_BYTES = 64
    ticket = desk["tickets"]["pre"]
    agent = as_role("service_agent")
    for form in ("reply", "note"):
        response = agent.post(
            _url(ticket, form),
            {
                "body": "附件",
                "attachments": [_file("ok.jpg", b"\xff\xd8\xff" + b"0"), _file(name, content)],
            },
        )
        assert response.status_code == 422, form
        page = response.content.decode()
        assert f'data-testid="{form}-error"' in page and problem in page
        assert "附件</textarea>" in page
    assert TicketEntry.objects.filter(ticket=ticket).count() == 1
    assert not Attachment.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


# --- SLA at risk ---------------------------------------------------------------------


def _risk_rows(client: Client) -> list[tuple[str, bool]]:
    page = client.get("/console/service/at-risk/")
    assert page.status_code == 200
    rows = re.findall(
        r'<tr data-testid="risk-(\d+)".*?data-testid="risk-breached">(.*?)</td>',
        page.content.decode(),
        re.S,
    )
    return [(number, "—" not in breached) for number, breached in rows]


def test_a_ticket_enters_the_list_at_its_warning_and_shows_its_breach(
    as_role: Any, desk: dict[str, Any]
) -> None:
    ticket = desk["tickets"]["pre"]
    sla_policies_default(shop=ticket.shop)
    sla = sla_update(Ticket.objects.get(pk=ticket.pk), rematch=True)
    assert sla.first_response_warn_at is not None and sla.first_response_due_at is not None
    due = sla.first_response_due_at
    analyst = as_role("analyst")
    assert 'data-testid="at-risk-link"' in analyst.get("/console/service/").content.decode()
    assert _risk_rows(analyst) == []
    clock.freeze(sla.first_response_warn_at + dt.timedelta(minutes=1))
    assert _risk_rows(analyst) == [(str(ticket.number), False)]
    sla_scan()  # the warning is sent (and its time cleared): still at risk
    assert _risk_rows(analyst) == [(str(ticket.number), False)]
    clock.freeze(due + dt.timedelta(minutes=5))
    sla_scan()
    assert _risk_rows(analyst) == [(str(ticket.number), True)]
    page = analyst.get("/console/service/at-risk/").content.decode()
    breached = re.search(r'data-testid="risk-breached">(.*?)</td>', page, re.S)
    assert breached is not None
    from django.utils import timezone
    from django.utils.formats import date_format

    assert date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT") in breached.group(1)
    # answered and waiting on the member: the clock stops, the risk is gone
    services.agent_reply(ticket=ticket, agent=desk["agent"], body="好的", status="pending")
    assert _risk_rows(analyst) == []


def test_the_list_is_soonest_first_and_each_role_sees_its_tickets(
    as_role: Any, desk: dict[str, Any], member: Member
) -> None:
    now = clock.now()
    minutes = dt.timedelta(minutes=1)
    tickets = desk["tickets"]
    calm = services.ticket_open(
        shop=member.shop, channel="chat", subject="calm", body="b", member=member
    )
    for ticket, due, warn in (
        (tickets["pre"], now + 30 * minutes, now - minutes),
        (tickets["vip"], now - 10 * minutes, None),
        (tickets["none"], now + 5 * minutes, now - minutes),
        (calm, now + 60 * minutes, now + 30 * minutes),
    ):
        TicketSla.objects.update_or_create(
            ticket=ticket,
            defaults={
                "shop": ticket.shop,
                "paused_since": None,
                "first_response_due_at": due,
                "first_response_warn_at": warn,
                "next_response_due_at": None,
                "resolution_due_at": now + 600 * minutes,
                "resolution_warn_at": now + 500 * minutes,
                "updated_at": now,
            },
        )
    pre, vip, none = (str(tickets[k].number) for k in ("pre", "vip", "none"))
    assert _risk_rows(as_role("analyst")) == [(vip, True), (none, False), (pre, False)]
    assert _risk_rows(as_role("service_agent")) == [(pre, False)]
    assert _risk_rows(as_role("service_lead")) == [(vip, True)]
    assert as_role("marketing").get("/console/service/at-risk/").status_code == 403
