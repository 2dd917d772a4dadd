"""One walk over every console page of the service desk, driven by the URL
names: every route of ``patron/console/urls.py`` named ``service_…`` or
``return…`` must have a row in ``PAGES``, so a new page fails
``test_every_service_page_has_a_row`` until its row says what each role gets.

How to add a row: ``PAGES["service_thing"] = Page(method, data, {role:
expected})`` with an expectation for every role in ``WALKERS``:

- ``200``, ``403``, ``404``: the status of the answer;
- ``DONE``: a redirect (302) that is not to the sign-in page, after which
  something was written (a timeline entry, a return step, an audit line...);
- ``LOGIN``: a redirect to the sign-in page (the anonymous visitor).

Anything other than ``DONE`` must write nothing. The path's parameters are
filled from the walk's desk by name (``number``: the ticket of team A,
``return_id``: the return request on it); a page with another parameter
gives ``kwargs``. The roles are those of ``service.tests.role_walk``: an
agent of the ticket's team, an agent of another team, the team's lead, an
analyst (reads everything, writes nothing), an operator without a service
role, and nobody signed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.service.models import OrderChangeRequest, ReturnStep, Ticket, TicketEntry
from patron.service.tests.role_walk import ROLES, Desk, desk_build

pytestmark = pytest.mark.django_db

DONE = "done"
LOGIN = "login"
WALKERS = (*ROLES, "anonymous")
PREFIXES = ("service_", "return")
SIGN_IN = "/console/login/"


@dataclass(frozen=True)
class Page:
    method: str
    expect: dict[str, int | str]
    data: dict[str, str] | None = None
    kwargs: Callable[[Desk], dict[str, Any]] | None = None
    #: the posted data when it names rows of the desk (made before the walk counts writes)
    data_for: Callable[[Desk], dict[str, str]] | None = None


def _reads(own_team: int | str, other_team: int | str) -> dict[str, int | str]:
    return {
        "agent": own_team,
        "other_agent": other_team,
        "lead": own_team,
        "analyst": 200,
        "no_service": 403,
        "anonymous": LOGIN,
    }


# A write on the ticket of team A: its agent and lead write, an agent of
# another team does not find it, the analyst and a non-service operator are refused.
WRITES: dict[str, int | str] = {
    "agent": DONE,
    "other_agent": 404,
    "lead": DONE,
    "analyst": 403,
    "no_service": 403,
    "anonymous": LOGIN,
}


def _attachment(desk: Desk) -> dict[str, Any]:
    from patron.service.services import Upload, attachments_add

    entry = desk.ticket.entries.order_by("pk").first()
    assert entry is not None
    made = attachments_add(entry=entry, uploads=[Upload(name="walk.pdf", content=b"%PDF-1.7\n0")])
    return {"attachment_id": made[0].pk}


def _merge_into(desk: Desk) -> dict[str, str]:
    from patron.service import services

    other = services.ticket_open(
        shop=desk.shop, channel="chat", subject="又一个", body="同一问题", member=desk.member
    )
    Ticket.objects.filter(pk=other.pk).update(team=desk.ticket.team_id)
    return {"target": str(other.number), "confirm": "1"}


def _macro(desk: Desk) -> dict[str, str]:
    from patron.service import services

    macro = services.macro_save(shop=desk.shop, name="walk", body="您好 {{ member.name }}")
    return {"macro": str(macro.pk), "do": "apply"}


CALL = {"direction": "in", "number": "13800138000", "duration": "60", "outcome": "resolved"}
# Only a lead of the ticket's team (or an admin) reassigns; agents are refused at the door.
REASSIGN: dict[str, int | str] = {**WRITES, "agent": 403, "other_agent": 403}
# Any agent logs a call as a new ticket (assigned to them).
NEW_CALL: dict[str, int | str] = {**WRITES, "other_agent": DONE}

PAGES: dict[str, Page] = {
    # lists: every service role opens them (each sees its own rows)
    "service_tickets": Page("GET", _reads(200, 200)),
    "returns": Page("GET", _reads(200, 200)),
    # one ticket / request of team A
    "service_ticket": Page("GET", _reads(200, 404)),
    "return": Page("GET", _reads(200, 404)),
    "service_reply": Page("POST", WRITES, {"body": "可以退"}),
    "service_note": Page("POST", WRITES, {"body": "内部"}),
    "service_status": Page("POST", WRITES, {"status": "pending"}),
    "return_act": Page("POST", WRITES, {"action": "approve"}),
    # the work forms (console/views/service_work.py)
    "service_at_risk": Page("GET", _reads(200, 200)),
    "service_attachment": Page("GET", _reads(200, 404), kwargs=_attachment),
    "service_call_new": Page("POST", NEW_CALL, {**CALL, "topic": "other"}),
    "service_reassign": Page(
        "POST",
        REASSIGN,
        data_for=lambda desk: {"assignee": str(desk.agents["agent"].pk)},
    ),
    "service_merge": Page("POST", WRITES, data_for=_merge_into),
    "service_tags": Page("POST", WRITES, {"add": "走查"}),
    "service_macro": Page("POST", WRITES, data_for=_macro),
    "service_call": Page("POST", WRITES, CALL),
}


def service_pages() -> dict[str, URLPattern]:
    from patron.console import urls

    return {
        p.name: p
        for p in urls.urlpatterns
        if isinstance(p, URLPattern) and p.name and p.name.startswith(PREFIXES)
    }


def test_every_service_page_has_a_row() -> None:
    found = service_pages()
    missing = sorted(set(found) - set(PAGES))
    assert not missing, f"add a row to PAGES in {__name__} for: {missing}"
    assert not set(PAGES) - set(found), "PAGES names pages that are gone"
    for name, page in PAGES.items():
        assert set(page.expect) == set(WALKERS), name


def _url(name: str, desk: Desk) -> str:
    page = PAGES[name]
    if page.kwargs is not None:
        return reverse(f"console:{name}", kwargs=page.kwargs(desk))
    known = {"number": desk.ticket.number, "return_id": desk.returned.pk}
    wanted = service_pages()[name].pattern.converters  # type: ignore[attr-defined]
    unknown = set(wanted) - set(known)
    assert not unknown, f"{name}: give the row kwargs for {sorted(unknown)}"
    return reverse(f"console:{name}", kwargs={k: known[k] for k in wanted})


def _written() -> tuple[int, ...]:
    return (
        Ticket.objects.count(),
        TicketEntry.objects.count(),
        ReturnStep.objects.count(),
        OrderChangeRequest.objects.count(),
        AuditLog.objects.count(),
    )


@pytest.mark.parametrize("role", WALKERS)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_role_gets_what_its_row_says(shop: Shop, member: Member, name: str, role: str) -> None:
    desk = desk_build(shop, member)
    page = PAGES[name]
    client = Client()
    if role != "anonymous":
        client.force_login(desk.users[role])
    url = _url(name, desk)
    data = page.data_for(desk) if page.data_for is not None else page.data or {}
    before = _written()

    get = page.method == "GET"
    response = client.get(url) if get else client.post(url, data)

    expected = page.expect[role]
    where = (name, role, response.status_code, response.get("Location"))
    if expected == LOGIN:
        assert response.status_code == 302 and response["Location"].startswith(SIGN_IN), where
    elif expected == DONE:
        assert response.status_code == 302, where
        assert not response["Location"].startswith(SIGN_IN), where
        assert _written() != before, f"{where}: redirected but wrote nothing"
    else:
        assert response.status_code == expected, where
    if expected != DONE:
        assert _written() == before, f"{where}: wrote something"
