"""The agents' desk: the ticket list, a ticket's conversation with the member
panel beside it, and the reply, note and status forms.

Who sees which ticket is ``service.selectors.tickets_visible``: an agent
their teams' (and those assigned to them), analysts every team's; any other
ticket is not found. Writing needs ``service.work_ticket`` and an agent
profile in the shop; analysts read and get no forms."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.console import once
from patron.console.auth import forbidden, operator_required, shop_id
from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.service import selectors as service_selectors
from patron.service import services as service_services
from patron.service.desk_selectors import DeskFilters, desk_tickets, member_panel
from patron.service.models import (
    AgentProfile,
    EntryKind,
    Team,
    Ticket,
    TicketChannel,
    TicketStatus,
    TicketTopic,
)

READ = "service.view_ticket"
WORK = "service.work_ticket"
PAGE_SIZE = 50
#: The pager counts the tickets this far past the page's first (20 pages)
#: and no further: counting every ticket of a busy shop read all its rows
#: for a figure nobody pages to (10-20 ms at 50,000 tickets, growing with
#: the shop), where a capped count stops early.
COUNT_AHEAD = 1000
#: The statuses an agent may move a ticket to from its page (never back to new).
STATUS_CHOICES = [s for s in TicketStatus.choices if s[0] != TicketStatus.NEW]
#: "Reply and set …" buttons beside the plain reply.
REPLY_THEN = (TicketStatus.PENDING, TicketStatus.SOLVED)


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


class DeskPaginator(Paginator):
    """Counts the tickets only ``COUNT_AHEAD`` past the wanted page's first;
    ``more`` says the list goes on beyond the pages counted."""

    def __init__(self, tickets: QuerySet[Ticket], per_page: int, *, wanted: int) -> None:
        super().__init__(tickets, per_page)
        self.tickets = tickets
        self.limit = (max(wanted, 1) - 1) * per_page + COUNT_AHEAD
        self.more = False

    @cached_property
    def count(self) -> int:
        counted = self.tickets.order_by().values("pk")[: self.limit + 1].count()
        self.more = counted > self.limit
        return min(counted, self.limit)


@operator_required(READ)
def tickets_view(request: HttpRequest) -> HttpResponse:
    """The tickets the operator may see, filtered, most recently updated first."""
    current = shop_id(request)
    filters = DeskFilters.from_query(request.GET)
    agent = service_selectors.agent_of(request.user, current)
    tickets = desk_tickets(user=request.user, shop_id=current, filters=filters, agent=agent)
    wanted = _page_number(request.GET.get("page"))
    page = DeskPaginator(tickets, PAGE_SIZE, wanted=wanted).get_page(wanted)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "console/service_tickets.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "agent": agent,
            "teams": Team.objects.filter(shop_id=current, active=True).order_by("name"),
            "statuses": TicketStatus.choices,
            "channels": TicketChannel.choices,
            "topics": TicketTopic.choices,
            "english": (get_language() or "").startswith("en"),
            "now": clock.now(),
        },
    )


def _visible_ticket(request: HttpRequest, number: int) -> Ticket:
    """The ticket if the operator may see it; not found otherwise (another
    team's looks the same as none)."""
    ticket = (
        service_selectors.tickets_visible(request.user, shop_id(request))
        .select_related("member", "contact", "team", "assignee", "sla")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


def _dues(ticket: Ticket) -> list[tuple[str, Any]]:
    try:
        return ticket.sla.upcoming()
    except ObjectDoesNotExist:
        return []


def _status_label(value: str) -> str:
    return str(TicketStatus(value).label) if value in TicketStatus.values else value


def _ticket_page(
    request: HttpRequest, ticket: Ticket, *, status: int = 200, **forms: Any
) -> HttpResponse:
    current = shop_id(request)
    agent = service_selectors.agent_of(request.user, current)
    can_work = request.user.has_perm(WORK) and agent is not None
    panel = None
    if ticket.member is not None:
        panel = member_panel(
            member=ticket.member, language=get_language() or "zh-hans", exclude_ticket=ticket
        )
    timeline = list(service_selectors.ticket_timeline(ticket))
    for entry in timeline:
        if entry.kind == EntryKind.STATUS:
            entry.status_from = _status_label(entry.data.get("from", ""))  # type: ignore[attr-defined]
            entry.status_to = _status_label(entry.data.get("to", ""))  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": timeline,
        "panel": panel,
        "can_work": can_work,
        "agent": agent,
        "open": ticket.status != TicketStatus.CLOSED,
        "status_choices": STATUS_CHOICES,
        "reply_then": [(s, TicketStatus(s).label) for s in REPLY_THEN],
        "idem": once.new_token(),
        "reply_body": "",
        "reply_error": "",
        "note_body": "",
        "note_error": "",
        "status_error": "",
        # The targets still running (first response, next response,
        # resolution) with their due times; none without an SLA.
        "due": _dues(ticket),
    }
    context.update(forms)
    return render(request, "console/service_ticket.html", context, status=status)


@operator_required(READ)
def ticket_view(request: HttpRequest, number: int) -> HttpResponse:
    return _ticket_page(request, _visible_ticket(request, number))


def _write(request: HttpRequest, number: int, field: str, act: Any, done: str) -> HttpResponse:
    """Run one of the ticket's forms once per form key: back to the ticket
    with ``done`` said, or the page again with the error beside the form."""
    ticket = _visible_ticket(request, number)
    agent = service_selectors.agent_of(request.user, shop_id(request))
    if agent is None:
        messages.error(request, _("You need an agent profile in this shop to work tickets."))
        return redirect("console:service_ticket", number=ticket.number)
    shop = Shop.objects.get(pk=ticket.shop_id)

    def handler() -> tuple[int, dict[str, Any]]:
        act(ticket, agent)
        return 200, {"ticket": ticket.number}

    try:
        once.form_once(request, shop=shop, handler=handler)
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN:
            return forbidden(request)
        forms = {f"{field}_error": str(exc.detail)}
        if field in ("reply", "note"):
            forms[f"{field}_body"] = request.POST.get("body", "")
        return _ticket_page(request, ticket, status=422, **forms)
    messages.success(request, done)
    return redirect("console:service_ticket", number=ticket.number)


@operator_required(WORK)
@require_POST
def ticket_reply_view(request: HttpRequest, number: int) -> HttpResponse:
    """A public reply; "reply and set pending/solved" moves the ticket too."""
    then = request.POST.get("then", "")

    def act(ticket: Ticket, agent: AgentProfile) -> None:
        if then and then not in REPLY_THEN:
            # the page offers pending and solved; a forged form gets no other move
            raise validation_error("then", _("Reply and set pending or solved only."))
        service_services.agent_reply(
            ticket=ticket,
            agent=agent,
            body=request.POST.get("body", ""),
            status=then or None,
            actor=request.user,  # type: ignore[arg-type]
        )

    return _write(request, number, "reply", act, _("Your reply has been sent."))


@operator_required(WORK)
@require_POST
def ticket_note_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, agent: AgentProfile) -> None:
        service_services.agent_note(ticket=ticket, agent=agent, body=request.POST.get("body", ""))

    return _write(request, number, "note", act, _("Your note has been added."))


@operator_required(WORK)
@require_POST
def ticket_status_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, agent: AgentProfile) -> None:
        service_services.ticket_status_set(
            ticket=ticket,
            status=request.POST.get("status", ""),
            agent=agent,
            actor=request.user,  # type: ignore[arg-type]
        )

    return _write(request, number, "status", act, _("The status has been changed."))
