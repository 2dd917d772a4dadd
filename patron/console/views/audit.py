from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from patron.console import selectors
from patron.console.auth import operator_required, shop_id


@operator_required("core.view_auditlog")
def audit_view(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    action = request.GET.get("action", "")
    actor = request.GET.get("actor", "")
    return render(
        request,
        "console/audit.html",
        {
            "entries": selectors.audit_search(
                shop_id=shop_id(request), query=q, action=action, actor=actor
            ),
            "q": q,
            "action": action,
            "actor": actor,
            "actions": selectors.audit_actions(shop_id=shop_id(request)),
        },
    )
