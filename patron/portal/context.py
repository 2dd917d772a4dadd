from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def portal(request: HttpRequest) -> dict[str, Any]:
    """The signed-in member (or None) for the portal's layout, on portal pages only."""
    if request.path.startswith(("/console", "/admin", "/api")):
        return {}
    from patron.portal.auth import current_member

    return {"portal_member": current_member(request)}
