"""Contact service: the member's chat with the desk. The page works without
scripts (the form posts, the page shows the conversation); with them it asks
``chat/poll.json`` every two seconds and shows the agent's reply as it comes."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from patron.core.errors import PatronError
from patron.members.models import Member
from patron.portal.auth import member_required
from patron.service import services as service_services
from patron.service.chat_selectors import chat_state
from patron.service.models import EntryKind, TicketEntry

#: How often the page asks for news, in milliseconds (a reply shows within 3 s).
POLL_EVERY_MS = 2000


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


@member_required
@require_http_methods(["GET", "POST"])
def chat_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    error = ""
    body = ""
    if request.method == "POST":
        body = request.POST.get("body", "")
        try:
            service_services.chat_member_writes(
                member=member, body=body, message_id=_message_id(request.POST.get("mid", ""))
            )
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
