"""The agents' desk: the ticket list, a ticket's conversation with the member
panel beside it, and the reply, note and status forms (the other forms of a
ticket, reassign, merge, tags, macros and calls, are ``service_work``; this
module draws the page they all share).

Who sees which ticket is ``service.selectors.tickets_visible``: an agent
their teams' (and those assigned to them), analysts every team's; any other
ticket is not found. Writing needs ``service.work_ticket`` and an agent
profile in the shop; analysts read and get no forms."""

from __future__ import annotations

from dataclasses import dataclass
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
    Macro,
    Team,
    TeamMembership,
    Ticket,
    TicketChannel,
    TicketStatus,
    TicketTopic,
)
from patron.service.services.attachments import EXTENSIONS, Upload, max_bytes

READ = "service.view_ticket"
WORK = "service.work_ticket"
#: Only admins hold the ticket model's change permission: they may reassign
#: any ticket of the shop, as a lead does their team's.
REASSIGN_ANY = "service.change_ticket"
PAGE_SIZE = 50
#: entries a ticket page shows besides the first before folding the middle
TIMELINE_RECENT = 50
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


def may_reassign(request: HttpRequest, ticket: Ticket, agent: AgentProfile | None) -> bool:
    """A lead of the ticket's team, or an admin, may move it."""
    if request.user.has_perm(REASSIGN_ANY):
        return True
    if agent is None or ticket.team_id is None or not request.user.has_perm(WORK):
        return False
    return service_selectors.teams_led(agent).filter(pk=ticket.team_id).exists()


def _work_context(
    request: HttpRequest, ticket: Ticket, agent: AgentProfile | None
) -> dict[str, Any]:
    """What the work forms offer: teams and their agents to reassign to,
    the shop's active macros, the call's choices."""
    from patron.service.services import CallDirection, CallOutcome

    reassign = may_reassign(request, ticket, agent)
    teams = []
    if reassign:
        members = TeamMembership.objects.filter(
            team__shop_id=ticket.shop_id, team__active=True
        ).select_related("team", "agent")
        by_team: dict[int, tuple[Team, list[AgentProfile]]] = {}
        for m in members.order_by("team__name", "agent__display_name", "pk"):
            by_team.setdefault(m.team_id, (m.team, []))[1].append(m.agent)
        teams = list(by_team.values())
    return {
        "can_reassign": reassign,
        "reassign_teams": teams,
        "macros": Macro.objects.filter(shop_id=ticket.shop_id, active=True).order_by("name"),
        "call_directions": CallDirection.choices,
        "call_outcomes": CallOutcome.choices,
        "attachment_types": ",".join(EXTENSIONS),
    }


def _call_words(data: dict[str, Any]) -> dict[str, Any]:
    from patron.service.services import CallDirection, CallOutcome

    def label(choices: Any, value: Any) -> str:
        return str(choices(value).label) if value in choices.values else str(value or "")

    seconds = data.get("duration_seconds") or 0
    return {
        "direction": label(CallDirection, data.get("direction")),
        "outcome": label(CallOutcome, data.get("outcome")),
        "number": data.get("number", ""),
        "duration": f"{seconds // 60}:{seconds % 60:02d}" if isinstance(seconds, int) else "",
    }


def _action_words(data: dict[str, Any]) -> str:
    """An action entry in words (who did it is beside it)."""
    name = data.get("action")
    if name in ("merged", "merged_into"):
        number = data.get("from") if name == "merged" else data.get("into")
        template = (
            _("Merged from T%(number)s") if name == "merged" else _("Merged into T%(number)s")
        )
        return template % {"number": number}
    words = {
        "routed": _("Routed"),
        "reassigned": _("Reassigned"),
        "assign": _("Assigned"),
        "fields": _("Topic, priority or tags changed"),
    }
    return str(words.get(str(name), name or ""))


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
    # A long conversation opens with the member's request and the latest
    # TIMELINE_RECENT entries; "show all" (?all=1) lists every one.
    show_all = request.GET.get("all") == "1"
    timeline, folded = service_selectors.ticket_timeline_shown(
        ticket, recent=None if show_all else TIMELINE_RECENT
    )
    for entry in timeline:
        if entry.kind == EntryKind.STATUS:
            entry.status_from = _status_label(entry.data.get("from", ""))  # type: ignore[attr-defined]
            entry.status_to = _status_label(entry.data.get("to", ""))  # type: ignore[attr-defined]
        elif entry.kind == EntryKind.CALL:
            entry.call = _call_words(entry.data)  # type: ignore[attr-defined]
        elif entry.kind == EntryKind.ACTION:
            entry.action = _action_words(entry.data)  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "ticket": ticket,
        "timeline": timeline,
        "folded": folded,
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
        "reassign_error": "",
        "merge_error": "",
        "merge_number": "",
        "merge_confirm": None,
        "tags_error": "",
        "tags_add": "",
        "macro_error": "",
        "call_error": "",
        "call": {},
        # The targets still running (first response, next response,
        # resolution) with their due times; none without an SLA.
        "due": _dues(ticket),
        "now": clock.now(),
    }
    context.update(_work_context(request, ticket, agent))
    context.update(forms)
    return render(request, "console/service_ticket.html", context, status=status)


@operator_required(READ)
def ticket_view(request: HttpRequest, number: int) -> HttpResponse:
    return _ticket_page(request, _visible_ticket(request, number))


@dataclass(frozen=True)
class Done:
    """What a form's action may say back: a message other than the form's
    usual one, and the ticket to go to (a merge goes to the target)."""

    said: str = ""
    number: int | None = None
    #: the operator no longer sees the ticket (moved out of their teams)
    gone: bool = False


def _write(
    request: HttpRequest,
    number: int,
    field: str,
    act: Any,
    done: str,
    *,
    echo: dict[str, Any] | None = None,
    agent_needed: bool = True,
) -> HttpResponse:
    """Run one of the ticket's forms once per form key: back to the ticket
    with ``done`` (or what ``act`` returned in a ``Done``) said, or the page
    again with the error beside the form and ``echo`` refilling it."""
    ticket = _visible_ticket(request, number)
    agent = service_selectors.agent_of(request.user, shop_id(request))
    if agent is None and agent_needed:
        messages.error(request, _("You need an agent profile in this shop to work tickets."))
        return redirect("console:service_ticket", number=ticket.number)
    shop = Shop.objects.get(pk=ticket.shop_id)

    def handler() -> tuple[int, dict[str, Any]]:
        outcome = act(ticket, agent) or Done()
        number = outcome.number or ticket.number
        return 200, {"ticket": number, "said": str(outcome.said), "gone": outcome.gone}

    try:
        _status, body, _replayed = once.form_once(request, shop=shop, handler=handler)
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN:
            return forbidden(request)
        forms: dict[str, Any] = {f"{field}_error": str(exc.detail)}
        if field in ("reply", "note"):
            forms[f"{field}_body"] = request.POST.get("body", "")
        forms.update(echo or {})
        return _ticket_page(request, ticket, status=422, **forms)
    messages.success(request, body.get("said") or done)
    if body.get("gone"):
        return redirect("console:service_tickets")
    return redirect("console:service_ticket", number=body.get("ticket") or ticket.number)


def uploads_of(request: HttpRequest, field: str = "attachments") -> list[Upload]:
    """The files posted in ``field``, read at most one byte past the limit
    (the attachments service refuses a larger one, naming it)."""
    limit = max_bytes() + 1
    return [Upload(name=f.name or "", content=f.read(limit)) for f in request.FILES.getlist(field)]


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
            attachments=uploads_of(request),
        )

    return _write(request, number, "reply", act, _("Your reply has been sent."))


@operator_required(WORK)
@require_POST
def ticket_note_view(request: HttpRequest, number: int) -> HttpResponse:
    def act(ticket: Ticket, agent: AgentProfile) -> None:
        service_services.agent_note(
            ticket=ticket,
            agent=agent,
            body=request.POST.get("body", ""),
            attachments=uploads_of(request),
        )

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
