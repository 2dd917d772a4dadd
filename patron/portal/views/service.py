"""Contact service: the member's chat with the desk. The page works without
scripts (the form posts, the page shows the conversation); with them it asks
``chat/poll.json`` every two seconds and shows the agent's reply as it comes.

When the shop uses the assistant, a question goes to it first (unless a
person is already on the member's chat): its reply shows as the assistant's
bubble, kept in the session; unsure, it offers the two best entries as
buttons that open their answers; "this did not help" is recorded; 转人工 (the
button, or typing it) hands the conversation to the desk."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from patron.assistant import services as assistant_services
from patron.assistant.chat import assistant_in_use, chat_turn
from patron.assistant.handoff import handoff, wants_person
from patron.core.errors import PatronError
from patron.members.models import Member
from patron.portal.auth import member_required
from patron.service import services as service_services
from patron.service.chat_selectors import chat_state
from patron.service.models import EntryKind, TicketEntry, TicketStatus

#: How often the page asks for news, in milliseconds (a reply shows within 3 s).
POLL_EVERY_MS = 2000
#: The assistant's turns the page keeps (in the session), newest last.
TURNS_KEPT = 20
TURNS = "assistant_chat"
#: A person is on the chat: the member's messages go to them, not the assistant.
WITH_A_PERSON = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.ON_HOLD)


def _time(at: Any) -> str:
    return timezone.localtime(at).strftime("%H:%M") if at is not None else ""


def _entry(entry: TicketEntry) -> dict[str, Any]:
    mine = entry.kind == EntryKind.MEMBER_MESSAGE
    author = entry.author.display_name if entry.author else ""
    return {
        "id": entry.pk,
        "mine": mine,
        "author": pgettext("chat author", "You") if mine else author,
        "body": entry.body,
        "time": _time(entry.created_at),
    }


def _notice(state: dict[str, Any]) -> str:
    """What the member is told while they wait: their place and the reply time."""
    if not state["waiting"]:
        return ""
    parts = []
    if state["position"] is not None:
        parts.append(
            _("You are number %(position)d in the queue.") % {"position": state["position"]}
        )
    parts.append(_("We will reply by %(time)s.") % {"time": _time(state["promised"])})
    return " ".join(parts)


def _out(state: dict[str, Any]) -> dict[str, Any]:
    ticket = state["ticket"]
    return {
        "ticket": ticket.reference if ticket is not None else None,
        "status": ticket.get_status_display() if ticket is not None else "",
        "entries": [_entry(e) for e in state["entries"]],
        "waiting": state["waiting"],
        "position": state["position"],
        "promised": state["promised"].isoformat() if state["promised"] else None,
        "notice": _notice(state),
    }


def _message_id(raw: str) -> str:
    return raw if raw.isascii() and raw.isalnum() and len(raw) <= 40 else ""


def _turns(request: HttpRequest) -> list[dict[str, Any]]:
    turns = request.session.get(TURNS, [])
    return turns if isinstance(turns, list) else []


def _turns_save(request: HttpRequest, turns: list[dict[str, Any]]) -> None:
    request.session[TURNS] = turns[-TURNS_KEPT:]


def _with_a_person(member: Member) -> bool:
    current = service_services.chat_ticket_current(member)
    return current is not None and current.status in WITH_A_PERSON


def _asked_id(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0


def _unhelpful(request: HttpRequest, member: Member) -> None:
    asked_id = _asked_id(request.POST.get("asked", ""))
    turns = _turns(request)
    for turn in turns:
        if turn.get("asked_id") == asked_id and turn.get("feedback"):
            assistant_services.feedback(asked_id=asked_id, helpful=False, member=member)
            turn["unhelpful"] = True
            turn["feedback"] = False
            turn["handoff_offered"] = True
    _turns_save(request, turns)


def _post(request: HttpRequest, member: Member, body: str) -> None:
    """One form post: hand-off, feedback, a question for the assistant, or a
    message to the desk. Raises PatronError on bad input."""
    action = request.POST.get("action", "")
    mid = _message_id(request.POST.get("mid", ""))
    if action == "unhelpful":
        _unhelpful(request, member)
        return
    in_use = assistant_in_use(member.shop_id)
    if in_use and (action == "handoff" or wants_person(body)):
        handoff(member=member, text=body, language=get_language() or "zh-hans", message_id=mid)
        return
    if in_use and not _with_a_person(member):
        reply = assistant_services.ask(shop=member.shop, text=body, member=member)
        turns = _turns(request)
        turns.append(
            chat_turn(
                shop=member.shop, question=body.strip(), reply=reply, at=_time(timezone.now())
            )
        )
        _turns_save(request, turns)
        return
    service_services.chat_member_writes(member=member, body=body, message_id=mid)


@member_required
@require_http_methods(["GET", "POST"])
def chat_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    error = ""
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            _post(request, member, body)
        except PatronError as exc:
            error = str(exc.detail)
        else:
            return redirect("portal:chat")
    state = chat_state(member=member)
    return render(
        request,
        "portal/chat.html",
        {
            "state": _out(state),
            "turns": _turns(request),
            "assistant": assistant_in_use(member.shop_id),
            "last_id": state["entries"][-1].pk if state["entries"] else 0,
            "error": error,
            "body": body,
            "mid": secrets.token_hex(16),
            "poll_every": POLL_EVERY_MS,
        },
        status=422 if error else 200,
    )


@member_required
@require_GET
def chat_poll_view(request: HttpRequest) -> JsonResponse:
    """The entries after ``since`` and the waiting notice, as JSON."""
    member: Member = request.member  # type: ignore[attr-defined]
    raw = request.GET.get("since", "")
    since = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else 0
    return JsonResponse(_out(chat_state(member=member, since=since)))
