"""Working a ticket beyond replying: reassign it (its team's leads and
admins), merge it into another, edit its tags, apply a macro, log a phone
call (on the ticket, or as a new ticket from the list), download its
attachments, and the list of tickets whose SLA is at risk.

Every write goes through ``service.services`` inside ``service._write`` (once
per form key, the error beside its form, nothing saved on error); which
tickets an operator sees is ``service.selectors.tickets_visible``."""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.console import once
from patron.console.auth import forbidden, operator_required, shop_id
from patron.console.views.service import (
    READ,
    REASSIGN_ANY,
    WORK,
    Done,
    _ticket_page,
    _visible_ticket,
    _write,
    may_reassign,
)
from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import selectors as service_selectors
from patron.service import services as service_services
from patron.service.desk_selectors import tickets_at_risk
from patron.service.models import (
    AgentProfile,
    Attachment,
    Macro,
    Team,
    Ticket,
    TicketPriority,
    TicketStatus,
    TicketTopic,
)
from patron.service.services.calls import phone_clean
from patron.service.services.macros import macro_render

#: Leads hold it; which tickets they may move is ``service.may_reassign``.
LEAD = "service.lead_team"
_NUMBER = re.compile(r"^\s*[#Tt]?(\d{1,9})\s*$")
_TAG_SEPARATORS = re.compile(r"[\s,，、]+")


def _no_agent(ticket: Ticket, request: HttpRequest) -> HttpResponse:
    messages.error(request, _("You need an agent profile in this shop to work tickets."))
    return redirect("console:service_ticket", number=ticket.number)


def _forbid(field: str) -> PatronError:
    return PatronError(ErrorCode.FORBIDDEN, _("not allowed"), field=field)


def _row_of(model: Any, shop: int, raw: str, field: str, problem: str) -> Any:
    """The shop's row ``raw`` names (None for blank), or bad input on ``field``."""
    raw = raw.strip()
    if not raw:
        return None
    row = None
    if raw.isascii() and raw.isdigit() and len(raw) <= 12:
        row = model.objects.filter(shop_id=shop, pk=int(raw)).first()
    if row is None:
        raise validation_error(field, problem)
    return row


# --- reassign ------------------------------------------------------------------


@operator_required((LEAD, REASSIGN_ANY))
@require_POST
def ticket_reassign_view(request: HttpRequest, number: int) -> HttpResponse:
    """A lead of the ticket's team (or an admin) moves it to a team and/or an
    agent; anyone else gets the forbidden page."""

    def act(ticket: Ticket, agent: AgentProfile | None) -> Done:
        if not may_reassign(request, ticket, agent):
            raise _forbid("lead")
        team = _row_of(
            Team, ticket.shop_id, request.POST.get("team", ""), "team", _("unknown team")
        )
        assignee = _row_of(
            AgentProfile,
            ticket.shop_id,
            request.POST.get("assignee", ""),
            "assignee",
            _("not an agent of that team"),
        )
        service_services.ticket_reassign(
            ticket=ticket,
            lead=agent,
            team=team,
            assignee=assignee,
            admin=request.user.has_perm(REASSIGN_ANY),
            actor=request.user,  # type: ignore[arg-type]
        )
        visible = service_selectors.tickets_visible(request.user, ticket.shop_id)
        return Done(gone=not visible.filter(pk=ticket.pk).exists())

    return _write(
        request,
        number,
        "reassign",
        act,
        _("The ticket has been reassigned."),
        agent_needed=False,
    )


# --- merge ---------------------------------------------------------------------


def _merge_target(request: HttpRequest, ticket: Ticket) -> Ticket:
    """The ticket the form names, checked as the merge will check it, so the
    confirmation is only asked for a merge that can happen."""
    found = _NUMBER.match(request.POST.get("target", ""))
    if found is None:
        raise validation_error("target", _("Enter the number of a ticket, e.g. T1024."))
    visible = service_selectors.tickets_visible(request.user, ticket.shop_id)
    target = Ticket.objects.filter(shop_id=ticket.shop_id, number=int(found.group(1))).first()
    if target is not None and target.merged_into_id is not None:
        if visible.filter(pk=target.merged_into_id).exists():
            raise validation_error("target", _("That ticket was already merged into another."))
        target = None
    if target is None or not visible.filter(pk=target.pk).exists():
        raise validation_error("target", _("No such ticket."))
    if target.pk == ticket.pk:
        raise validation_error("target", _("A ticket cannot be merged into itself."))
    if TicketStatus.CLOSED in (ticket.status, target.status):
        raise validation_error("target", _("A closed ticket cannot be merged."))
    return target


@operator_required(WORK)
@require_POST
def ticket_merge_view(request: HttpRequest, number: int) -> HttpResponse:
    """Without ``confirm`` the page asks "merge into T…?"; with it, the
    ticket merges and the desk goes to the target."""
    echo: dict[str, Any] = {"merge_number": request.POST.get("target", "")[:20]}
    if request.POST.get("confirm") != "1":
        ticket = _visible_ticket(request, number)
        if service_selectors.agent_of(request.user, shop_id(request)) is None:
            return _no_agent(ticket, request)
        try:
            target = _merge_target(request, ticket)
        except PatronError as exc:
            return _ticket_page(request, ticket, status=422, merge_error=str(exc.detail), **echo)
        return _ticket_page(request, ticket, merge_confirm=target, **echo)

    def act(ticket: Ticket, agent: AgentProfile) -> Done:
        target = _merge_target(request, ticket)
        service_services.ticket_merge(
            source=ticket,
            target=target,
            agent=agent,
            actor=request.user,  # type: ignore[arg-type]
        )
        said = _("%(source)s has been merged into %(target)s.") % {
            "source": ticket.reference,
            "target": target.reference,
        }
        return Done(said=said, number=target.number)

    return _write(request, number, "merge", act, _("The tickets have been merged."), echo=echo)


# --- tags ------------------------------------------------------------------------


@operator_required(WORK)
@require_POST
def ticket_tags_view(request: HttpRequest, number: int) -> HttpResponse:
    """Add the tags typed (separated by spaces or commas) and/or remove one."""
    added = request.POST.get("add", "")

    def act(ticket: Ticket, agent: AgentProfile) -> None:
        remove = request.POST.get("remove", "")
        tags = [t for t in ticket.tags if t != remove]
        tags += [t.lower() for t in _TAG_SEPARATORS.split(added) if t]
        tags = list(dict.fromkeys(tags))
        if tags == ticket.tags:
            raise validation_error("tags", _("No change: type a new tag, or remove one."))
        service_services.ticket_fields_set(
            ticket=ticket,
            agent=agent,
            tags=tags,
            actor=request.user,  # type: ignore[arg-type]
        )

    return _write(
        request, number, "tags", act, _("The tags have been saved."), echo={"tags_add": added}
    )


# --- macros ----------------------------------------------------------------------


def _choice_label(choices: Any, value: Any) -> str:
    return str(choices(value).label) if value in choices.values else str(value)


def _changes(before: Ticket, after: Ticket) -> list[str]:
    """What a macro changed on the ticket, in words."""
    said = []
    for name, label, choices in (
        ("topic", _("Topic"), TicketTopic),
        ("priority", _("Priority"), TicketPriority),
        ("status", _("Status"), TicketStatus),
    ):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            said.append(
                _("%(field)s: %(before)s → %(after)s")
                % {
                    "field": label,
                    "before": _choice_label(choices, old),
                    "after": _choice_label(choices, new),
                }
            )
    added = [t for t in after.tags if t not in before.tags]
    if added:
        said.append(_("Tags added: %(tags)s") % {"tags": ", ".join(added)})
    return said


@operator_required(WORK)
@require_POST
def ticket_macro_view(request: HttpRequest, number: int) -> HttpResponse:
    """``preview`` fills the reply box with the macro's text for this ticket;
    ``apply`` sends it (or notes it) and runs the macro's actions, then says
    what changed."""

    def macro_of(ticket: Ticket) -> Macro:
        macro = _row_of(
            Macro, ticket.shop_id, request.POST.get("macro", ""), "macro", _("Choose a macro.")
        )
        if macro is None or not macro.active:
            raise validation_error("macro", _("Choose a macro."))
        return macro

    if request.POST.get("do") == "preview":
        ticket = _visible_ticket(request, number)
        agent = service_selectors.agent_of(request.user, shop_id(request))
        if agent is None:
            return _no_agent(ticket, request)
        try:
            macro = macro_of(ticket)
        except PatronError as exc:
            return _ticket_page(request, ticket, status=422, macro_error=str(exc.detail))
        return _ticket_page(
            request, ticket, reply_body=macro_render(macro, ticket, agent), macro_chosen=macro.pk
        )

    def act(ticket: Ticket, agent: AgentProfile) -> Done:
        macro = macro_of(ticket)
        before = Ticket.objects.get(pk=ticket.pk)
        entry = service_services.macro_apply(
            macro=macro,
            ticket=ticket,
            agent=agent,
            actor=request.user,  # type: ignore[arg-type]
        )
        after = Ticket.objects.get(pk=ticket.pk)
        said = [_("Macro “%(name)s” applied.") % {"name": macro.name}]
        if entry is not None:
            said.append(_("Reply sent.") if macro.public else _("Note added."))
        said += _changes(before, after)
        return Done(said=" ".join(said))

    return _write(request, number, "macro", act, _("The macro has been applied."))


# --- calls -----------------------------------------------------------------------

CALL_FIELDS = ("direction", "number", "duration", "outcome", "notes", "subject", "topic", "member")


def _call_fields(request: HttpRequest) -> dict[str, str]:
    return {name: request.POST.get(name, "") for name in CALL_FIELDS}


def _duration(raw: str) -> int:
    """Whole seconds, or minutes and seconds as ``m:ss``."""
    text = raw.strip()
    found = re.fullmatch(r"(?:(\d{1,4}):)?(\d{1,6})", text)
    if found is None:
        raise validation_error("duration_seconds", _("Enter seconds, or minutes:seconds."))
    minutes, seconds = found.groups()
    return int(minutes or 0) * 60 + int(seconds)


@operator_required(WORK)
@require_POST
def ticket_call_view(request: HttpRequest, number: int) -> HttpResponse:
    fields = _call_fields(request)

    def act(ticket: Ticket, agent: AgentProfile) -> None:
        service_services.call_log(
            agent=agent,
            ticket=ticket,
            direction=fields["direction"],
            number=fields["number"],
            duration_seconds=_duration(fields["duration"]),
            outcome=fields["outcome"],
            notes=fields["notes"],
            actor=request.user,  # type: ignore[arg-type]
        )

    return _write(
        request, number, "call", act, _("The call has been logged."), echo={"call": fields}
    )


def _member_named(shop: int, raw: str) -> Member | None:
    """The member a member number or a phone number names (blank: none)."""
    raw = raw.strip()
    if not raw:
        return None
    member = Member.objects.filter(shop_id=shop, external_id=raw).first()
    if member is None:
        try:
            phone = phone_clean(raw, "member")
        except PatronError:
            phone = ""
        found = list(Member.objects.filter(shop_id=shop, phone=phone)[:2]) if phone else []
        member = found[0] if len(found) == 1 else None
    if member is None:
        raise validation_error("member", _("No member with this member number or phone."))
    return member


def _call_page(request: HttpRequest, status: int = 200, **extra: Any) -> HttpResponse:
    from patron.service.services import CallDirection, CallOutcome

    context: dict[str, Any] = {
        "call": {"direction": "in", "outcome": "resolved", "topic": "other"},
        "call_error": "",
        "call_directions": CallDirection.choices,
        "call_outcomes": CallOutcome.choices,
        "topics": TicketTopic.choices,
        "idem": once.new_token(),
    }
    context.update(extra)
    return render(request, "console/service_call_new.html", context, status=status)


@operator_required(WORK)
def call_new_view(request: HttpRequest) -> HttpResponse:
    """Log a call as a new phone ticket, assigned to the agent who took it."""
    current = shop_id(request)
    agent = service_selectors.agent_of(request.user, current)
    if agent is None:
        messages.error(request, _("You need an agent profile in this shop to work tickets."))
        return redirect("console:service_tickets")
    if request.method != "POST":
        return _call_page(request)
    fields = _call_fields(request)

    def handler() -> tuple[int, dict[str, Any]]:
        entry = service_services.call_log(
            agent=agent,
            direction=fields["direction"],
            number=fields["number"],
            duration_seconds=_duration(fields["duration"]),
            outcome=fields["outcome"],
            notes=fields["notes"],
            subject=fields["subject"],
            topic=fields["topic"] or TicketTopic.OTHER,
            member=_member_named(current, fields["member"]),
            actor=request.user,  # type: ignore[arg-type]
        )
        return 200, {"ticket": entry.ticket.number}

    try:
        _status, body, _replayed = once.form_once(
            request, shop=Shop.objects.get(pk=current), handler=handler
        )
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN:
            return forbidden(request)
        return _call_page(request, status=422, call=fields, call_error=str(exc.detail))
    messages.success(request, _("The call has been logged as a new ticket."))
    return redirect("console:service_ticket", number=body["ticket"])


# --- attachments and SLA risk ------------------------------------------------------


@operator_required(READ)
def attachment_view(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """A file of a ticket the operator may see, streamed from storage; any
    other is not found."""
    visible = service_selectors.tickets_visible(request.user, shop_id(request))
    attachment = Attachment.objects.filter(pk=attachment_id, entry__ticket__in=visible).first()
    if attachment is None:
        raise Http404
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # A streamed file, not an HttpResponse; the console's decorator only
    # adds cache headers to it.
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    return cast(HttpResponse, response)


@operator_required(READ)
def at_risk_view(request: HttpRequest) -> HttpResponse:
    """Open tickets inside their SLA warning window or past due, soonest first."""
    now = clock.now()
    rows = tickets_at_risk(user=request.user, shop_id=shop_id(request), now=now)
    return render(request, "console/service_at_risk.html", {"rows": rows, "now": now})
