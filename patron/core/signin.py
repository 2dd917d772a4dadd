"""Operator sign-in throttling: django-axes in front of the model backend (``ShopRoleBackend``)."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class OperatorSignInBackend(AxesStandaloneBackend):
    """Refuses a locked-out operator before the password is checked.

    Both sign-in pages (``/console/login/``, ``/admin/login/``) pass the request,
    so every web sign-in is counted. A call without one (``Client.login`` in a
    test, a shell) has no client address to count against; axes would raise,
    so such calls are left to the next backend.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]
