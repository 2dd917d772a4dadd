"""The current shop's portal sign-in (SSO) secret: an administrator of the shop
shows it to give it to the shop's developers, or rotates it when it may have
leaked. Each read and rotation is audited (portal.services)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from patron.console.auth import forbidden, operator_required, shop_id
from patron.core.models import Shop
from patron.portal import selectors as portal_selectors
from patron.portal import services as portal_services

# Only the admin role holds it (it has every permission); no other role's list names it.
PERMISSION = "portal.change_shopsigninsecret"


@operator_required(PERMISSION)
@require_http_methods(["GET", "POST"])
def sso_secret_view(request: HttpRequest) -> HttpResponse:
    """The current shop's secret only: an administrator of one shop neither sees
    nor replaces another's (the services check the role in that shop too)."""
    current = Shop.objects.get(pk=shop_id(request))
    revealed: dict[str, object] | None = None
    status = 200
    if request.method == "POST":
        raw = request.POST.get("shop", "")
        chosen = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else None
        action = request.POST.get("action", "")
        if chosen is not None and chosen != current.pk and Shop.objects.filter(pk=chosen).exists():
            # another shop's secret: switch shops first (and belong to that one)
            return forbidden(request)
        if chosen != current.pk or action not in {"show", "rotate"}:
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
                shop=current, actor=request.user, via="console"
            )
            messages.success(request, _("The secret has been replaced."))
            revealed = {"shop": current, "secret": secret}
        else:
            secret = portal_services.sign_in_secret_get(
                shop=current, actor=request.user, via="console"
            )
            revealed = {"shop": current, "secret": secret}
    dates = portal_selectors.sign_in_secret_dates(shop_id=current.pk)
    shops = [{"shop": current, "created_at": dates.get(current.pk)}]
    return render(
        request,
        "console/sso_secret.html",
        {"shops": shops, "revealed": revealed},
        status=status,
    )
