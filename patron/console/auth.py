"""Who may see which console page: Django users with role permissions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control

Perm = str | tuple[str, ...]


def has_any(user: Any, perms: Perm) -> bool:
    names = (perms,) if isinstance(perms, str) else perms
    return any(user.has_perm(p) for p in names)


def shop_id(request: HttpRequest) -> int:
    """The current shop of an operator page (``operator_required`` made sure there is one)."""
    current = getattr(request, "current_shop_id", None)
    if current is None:
        raise PermissionError("no current shop")  # pragma: no cover - operator_required refuses
    return int(current)


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "console/forbidden.html", status=403)


def operator_required(
    perms: Perm | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in operator with the console permission and, if given, any of ``perms``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect(f"{reverse('console:login')}?next={request.get_full_path()}")
            # Permissions are the role's in the current shop: an operator
            # of no shop has none.
            if getattr(request, "current_shop_id", None) is None:
                return forbidden(request)
            if not user.has_perm("console.use_console"):
                return forbidden(request)
            if perms is not None and not has_any(user, perms):
                return forbidden(request)
            response = view(request, *args, **kwargs)
            # Members' data, shown to an operator: kept by no cache.
            patch_cache_control(response, private=True, no_store=True)
            return response

        # What the page needs, read by the role walk test (console/tests/test_role_walk.py).
        wrapper.required_perms = (  # type: ignore[attr-defined]
            () if perms is None else ((perms,) if isinstance(perms, str) else tuple(perms))
        )
        return wrapper

    return decorate
