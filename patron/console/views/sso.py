"""The shops' portal sign-in (SSO) secrets: an administrator shows one to give
it to the shop's developers, or rotates it when it may have leaked. Each read
and rotation is audited (portal.services)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patron.console.auth import operator_required
from patron.core.models import Shop
from patron.portal import selectors as portal_selectors
from patron.portal import services as portal_services

# Only the admin role holds it (it has every permission); no other role's list names it.
PERMISSION = "portal.change_shopsigninsecret"


@operator_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def sso_secret_view(request: HttpRequest) -> HttpResponse:
    revealed: dict[str, object] | None = None
    status = 200
    if request.method == "POST":
        raw = request.POST.get("shop", "")
        shop = (
            Shop.objects.filter(pk=int(raw)).first()
            if raw.isascii() and raw.isdigit() and len(raw) <= 18
            else None
        )
        action = request.POST.get("action", "")
        if shop is None or action not in {"show", "rotate"}:
            messages.error(request, _("Choose a shop and what to do."))
            status = 422
        elif action == "rotate" and not request.POST.get("confirm"):
            messages.error(
                request,
                _("Tick the box to confirm: links signed with the old secret will be refused."),
            )
            status = 422
        elif action == "rotate":
            secret = portal_services.sign_in_secret_rotate(
                shop=shop, actor=request.user, via="console"
            )
            messages.success(request, _("The secret has been replaced."))
            revealed = {"shop": shop, "secret": secret}
        else:
            secret = portal_services.sign_in_secret_get(
                shop=shop, actor=request.user, via="console"
            )
            revealed = {"shop": shop, "secret": secret}
    dates = portal_selectors.sign_in_secret_dates()
    shops = [{"shop": s, "created_at": dates.get(s.pk)} for s in Shop.objects.order_by("name")]
    return render(
        request,
        "console/sso_secret.html",
        {"shops": shops, "revealed": revealed},
        status=status,
    )
