"""Sign-in, sign-out, language and the landing page of the console."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from patron.console.auth import operator_required
from patron.core.middleware import remember_language
from patron.members.models import Language


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("console:home")


def signin_locked_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """What django-axes answers a locked-out sign-in with, on the console and the admin."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "console/signin_locked.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = "console:login"


@operator_required()
def home_view(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("console.view_dashboard"):
        return redirect("console:dashboard")
    return redirect("console:members")


@require_POST
def shop_view(request: HttpRequest) -> HttpResponse:
    """Switch the operator's current shop (one they belong to), then go back."""
    from patron.console.auth import forbidden
    from patron.core.permissions import shop_choose

    if not request.user.is_authenticated:
        return redirect("console:login")
    try:
        wanted = int(request.POST.get("shop", ""))
    except ValueError:
        return forbidden(request)
    if not shop_choose(request, wanted):
        return forbidden(request)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("console:home")
    # An object page of the previous shop would not be found in this one.
    if target.startswith("/admin/"):
        target = "/admin/"
    elif not target.startswith("/console/") or target.count("/") > 3:
        target = reverse("console:home")
    return redirect(target)


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """The operator's language, remembered in the language cookie."""
    language = request.POST.get("language", "")
    if language not in Language.values:
        language = Language.ZH_HANS
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("console:home")
    return remember_language(redirect(target), language)
