"""Sign-in, sign-out, password reset, shop links, profile, language, export."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patron.core.client import client_address
from patron.core.errors import ErrorCode, PatronError
from patron.core.middleware import remember_language
from patron.members.models import Language, Member
from patron.portal import selectors, services
from patron.portal.auth import (
    current_member,
    member_required,
    portal_shop,
    safe_next,
    sign_in,
    sign_out,
)
from patron.portal.forms import (
    LanguageForm,
    PasswordResetRequestForm,
    ProfileForm,
    SetPasswordForm,
    SignInForm,
)


def _signed_in_response(request: HttpRequest, member: Member) -> HttpResponse:
    sign_in(request, member)
    response = redirect(safe_next(request, reverse("portal:home")))
    return remember_language(response, member.language or Language.ZH_HANS)


@require_http_methods(["GET", "POST"])
def sign_in_view(request: HttpRequest) -> HttpResponse:
    if current_member(request) is not None and request.method == "GET":
        return redirect(safe_next(request, reverse("portal:home")))
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        shop = portal_shop()
        try:
            if shop is None:
                raise PatronError(ErrorCode.UNAUTHENTICATED, "", status=401)
            member = services.portal_sign_in(
                shop=shop,
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                address=client_address(request),
            )
        except PatronError as exc:
            # One message for an unknown account and a wrong password.
            form.add_error(None, exc.detail or _("The account or password is not correct."))
            status = 429 if exc.code == ErrorCode.RATE_LIMITED else 200
        else:
            return _signed_in_response(request, member)
    return render(
        request,
        "portal/sign_in.html",
        {"form": form, "next": safe_next(request, "")},
        status=status,
    )


@require_POST
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    messages.info(request, _("You have signed out."))
    return redirect("portal:sign_in")


def link_sign_in_view(request: HttpRequest) -> HttpResponse:
    """GET /sso?shop=..&member=..&ts=..&nonce=..&sig=.. — a link the shop signed."""
    params = request.GET
    shop_id, ts = _link_number(params.get("shop", "")), _link_number(params.get("ts", ""))
    try:
        member = services.portal_link_sign_in(
            shop_id=shop_id,
            member=params.get("member", ""),
            ts=ts,
            nonce=params.get("nonce", ""),
            sig=params.get("sig", ""),
        )
    except PatronError as exc:
        return render(request, "portal/link_refused.html", {"detail": exc.detail}, status=403)
    return _signed_in_response(request, member)


def _link_number(value: str) -> int:
    """A link's shop id or time: ASCII digits that fit 64 bits, else 0 (refused).
    int() would take "²" and "١" and any length."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return 0


@require_http_methods(["GET", "POST"])
def password_reset_view(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        shop = portal_shop()
        if shop is not None:
            template = request.build_absolute_uri(
                reverse("portal:password_reset_confirm", args=["UID", "TOKEN"])
            )
            template = template.replace("UID", "{uid}").replace("TOKEN", "{token}")
            services.password_reset_request(
                shop=shop, email=form.cleaned_data["email"], url_template=template
            )
        return render(request, "portal/password_reset_sent.html")
    return render(request, "portal/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request: HttpRequest, uid: str, token: str) -> HttpResponse:
    valid = services.reset_credential(uid=uid, token=token) is not None
    form = SetPasswordForm(request.POST or None)
    if valid and request.method == "POST" and form.is_valid():
        try:
            member = services.password_reset_confirm(
                uid=uid, token=token, new_password=form.cleaned_data["password1"]
            )
        except PatronError as exc:
            form.add_error("password1" if exc.field == "password" else None, exc.detail)
        else:
            messages.success(request, _("Your password has been changed."))
            return _signed_in_response(request, member)
    return render(request, "portal/password_reset_confirm.html", {"form": form, "valid": valid})


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch the language; remembered on the member and in a cookie."""
    form = LanguageForm(request.POST)
    language = form.cleaned_data["language"] if form.is_valid() else Language.ZH_HANS
    member = current_member(request)
    if member is not None:
        services.member_language_set(member=member, language=language)
    translation.activate(language)
    return remember_language(redirect(safe_next(request, reverse("portal:home"))), language)


@member_required
@require_http_methods(["GET", "POST"])
def profile_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    initial = {
        "name": member.name,
        "email": member.email,
        "birthday": member.birthday,
        "gender": member.gender,
    }
    profile_form = ProfileForm(initial=initial)
    status = 200
    if request.method == "POST" and request.POST.get("form") == "profile":
        profile_form = ProfileForm(request.POST)
        if profile_form.is_valid():
            data = profile_form.cleaned_data
            try:
                services.member_profile_update(
                    member=member,
                    name=data["name"],
                    email=data["email"],
                    birthday=data["birthday"],
                    gender=data["gender"],
                )
            except PatronError as exc:
                profile_form.add_error(exc.field if exc.field in data else None, exc.detail)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("portal:profile")
        status = 422
    elif request.method == "POST" and request.POST.get("form") == "consent":
        # The old consent form lives on as the preferences page.
        return redirect("portal:preferences")
    return render(
        request,
        "portal/profile.html",
        {"profile_form": profile_form, "member": member},
        status=status,
    )


@member_required
def data_export_view(request: HttpRequest) -> HttpResponse:
    """All the data Patron holds on the member, as a JSON download."""
    member: Member = request.member  # type: ignore[attr-defined]
    data = selectors.member_data_export(member=member)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="patron-member-{member.external_id}.json"'
    )
    return response
