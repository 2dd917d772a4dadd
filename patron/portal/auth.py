"""The signed-in member, kept in the session (members are not Django users)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

from patron.core.models import Shop
from patron.members.models import Member
from patron.portal.models import MemberCredential

SESSION_MEMBER = "portal_member_id"
SESSION_HASH = "portal_member_hash"


def portal_shop() -> Shop | None:
    """The shop whose members sign in here: PATRON_PORTAL_SHOP by name, else the first."""
    name = getattr(settings, "PATRON_PORTAL_SHOP", "")
    shops = Shop.objects.order_by("pk")
    return (shops.filter(name=name).first() if name else None) or shops.first()


def _credential_hash(member: Member) -> str:
    # Changing the password changes this, which signs out every other session.
    credential = MemberCredential.objects.filter(member=member).first()
    secret = credential.password if credential else "link-only"
    return salted_hmac("patron.portal.session", secret).hexdigest()


def sign_in(request: HttpRequest, member: Member) -> None:
    request.session.cycle_key()  # a new session id on sign-in defeats fixation
    request.session[SESSION_MEMBER] = member.pk
    request.session[SESSION_HASH] = _credential_hash(member)


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_MEMBER, None)
    request.session.pop(SESSION_HASH, None)
    request.session.cycle_key()


def current_member(request: HttpRequest) -> Member | None:
    cached = getattr(request, "_portal_member", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return,return-value]
    member = None
    pk = request.session.get(SESSION_MEMBER)
    if pk is not None:
        member = Member.objects.select_related("shop").filter(pk=pk).first()
        stored = request.session.get(SESSION_HASH, "")
        if member is not None and not constant_time_compare(stored, _credential_hash(member)):
            member = None
    request._portal_member = member  # type: ignore[attr-defined]
    return member


def member_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        member = current_member(request)
        if member is None:
            return redirect(f"{reverse('portal:sign_in')}?next={request.get_full_path()}")
        request.member = member  # type: ignore[attr-defined]
        response = view(request, *args, **kwargs)
        # The member's own data: never kept by a shared cache or the browser's
        # back-forward history on a shared phone.
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper


def safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
