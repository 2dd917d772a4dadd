"""The member's in-app inbox and their message preferences (consent)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patron.members.models import Member
from patron.messaging import selectors as messaging_selectors
from patron.messaging import services as messaging_services
from patron.messaging.consent import ALWAYS_ON
from patron.messaging.models import Category, Channel, ConsentSource
from patron.portal.auth import member_required

PAGE_SIZE = 10


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


@member_required
def inbox_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    paginator = Paginator(messaging_selectors.inbox_list(member), PAGE_SIZE)
    page = paginator.get_page(_page_number(request.GET.get("page")))
    return render(request, "portal/inbox.html", {"page": page})


@member_required
def inbox_message_view(request: HttpRequest, message_id: int) -> HttpResponse:
    """One message, opened: it counts as read from now on."""
    member: Member = request.member  # type: ignore[attr-defined]
    message = messaging_selectors.inbox_list(member).filter(pk=message_id).first()
    if message is None:
        raise Http404
    if message.read_at is None:
        messaging_services.inbox_mark_read(member=member, message_ids=[message.pk])
    return render(request, "portal/inbox_message.html", {"message": message})


@member_required
@require_POST
def inbox_read_view(request: HttpRequest) -> HttpResponse:
    """Mark one message read (``message``), or every unread one."""
    member: Member = request.member  # type: ignore[attr-defined]
    raw = request.POST.get("message", "")
    ids = [int(raw)] if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
    messaging_services.inbox_mark_read(member=member, message_ids=ids)
    return redirect("portal:inbox")


@member_required
@require_POST
def inbox_delete_view(request: HttpRequest, message_id: int) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    if messaging_services.inbox_delete(member=member, message_id=message_id):
        messages.success(request, _("The message has been deleted."))
    else:
        messages.error(request, _("That message is no longer in your inbox."))
    return redirect("portal:inbox")


def _grid(choices: dict[str, dict[str, bool]]) -> list[dict[str, object]]:
    """Rows per category, a cell per channel: its field name, state and whether
    the member may change it."""
    return [
        {
            "category": category,
            "label": label,
            "cells": [
                {
                    "name": f"{channel}.{category}",
                    "channel_label": channel_label,
                    "granted": choices[channel][category],
                    "locked": (channel, category) in ALWAYS_ON,
                }
                for channel, channel_label in Channel.choices
            ],
        }
        for category, label in Category.choices
    ]


@member_required
@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest) -> HttpResponse:
    """The member's consent per channel × category, saved through messaging
    (source ``portal``); a ticked box grants, an unticked one refuses."""
    member: Member = request.member  # type: ignore[attr-defined]
    if request.method == "POST":
        changes = {
            (channel, category): f"{channel}.{category}" in request.POST
            for channel in Channel.values
            for category in Category.values
            if (channel, category) not in ALWAYS_ON
        }
        recorded = messaging_services.preferences_set(
            member=member, changes=changes, source=ConsentSource.PORTAL, actor="member"
        )
        if recorded:
            messages.success(request, _("Your message preferences have been saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("portal:preferences")
    return render(
        request,
        "portal/preferences.html",
        {
            "channels": Channel.choices,
            "grid": _grid(messaging_selectors.preferences_of(member)),
            "changes": messaging_selectors.consent_changes_of(member, limit=10),
        },
    )
