"""Web-layer helpers shared by every app's router: API-key auth, scopes,
Idempotency-Key handling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from patron.core import clock, services
from patron.core.conflicts import run_retrying
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.middleware import encode_json
from patron.core.models import ApiKey, ApiScope, Shop


class ApiKeyAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = services.api_key_authenticate(token)
        if key is None:
            return None
        now = clock.now()
        if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
            # Recorded at most once a minute so hot paths don't write per call.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key


def shop_for(request: HttpRequest, scope: ApiScope) -> Shop:
    """The caller's shop, if its key carries ``scope``; 403 otherwise."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if scope.value not in key.scopes:
        raise PatronError(
            ErrorCode.FORBIDDEN,
            lazy_format(_("this API key lacks the scope %(value)s"), value=repr(scope.value)),
            status=403,
        )
    return key.shop


def json_response(status: int, body: Any, *, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(encode_json(body), status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def with_idempotency(
    request: HttpRequest, shop: Shop, handler: Callable[[], tuple[int, Any]]
) -> HttpResponse:
    """Run a state-changing handler, once per Idempotency-Key when one is sent,
    again if the database aborted it to break a deadlock (``core.conflicts``)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = run_retrying(handler)
        return json_response(status, body)
    status, body, replayed = run_retrying(
        lambda: services.idempotent_call(
            shop=shop,
            key=key,
            method=request.method or "POST",
            path=request.path,
            body=request.body,
            handler=handler,
        )
    )
    return json_response(status, body, replayed=replayed)
