"""The one-click unsubscribe page: no sign-in, the signed token is the key.

GET shows what the link turns off and a button (mail scanners follow GET
links, so GET changes nothing); POST turns it off. The POST is CSRF-exempt
because RFC 8058 mail clients POST ``List-Unsubscribe=One-Click`` without
ever loading the page; the token, not a session, authorises it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from patron.members.models import Member
from patron.messaging import services
from patron.messaging.consent import unsubscribe_read
from patron.messaging.models import Category, Channel


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = unsubscribe_read(token)
    member = Member.objects.filter(pk=found.member_id).first() if found else None
    if found is None or member is None:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    language = "en" if member.language == "en" else "zh-hans"
    with translation.override(language):
        context = {
            "channel": Channel(found.channel).label,
            "category": Category(found.category).label,
            "language": language,
        }
        if request.method == "POST":
            if services.unsubscribe_by_token(token) is False:  # one that cannot be turned off
                return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
            return render(request, "messaging/unsubscribe.html", {**context, "done": True})
        return render(request, "messaging/unsubscribe.html", context)
