from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def portal(request: HttpRequest) -> dict[str, Any]:
    """The signed-in member (or None) for the portal's layout, on portal pages
    only, and their unread in-app messages (one indexed COUNT, counted only
    when a page shows it)."""
    if request.path.startswith(("/console", "/admin", "/api")):
        return {}
    from patron.messaging.selectors import inbox_unread_count
    from patron.portal.auth import current_member

    member = current_member(request)
    if member is None:
        return {"portal_member": None, "portal_unread": 0}
    return {
        "portal_member": member,
        "portal_unread": SimpleLazyObject(lambda: inbox_unread_count(member)),
    }
