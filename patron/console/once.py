"""One-time keys for console writes, as the portal's forms and the shop API have.

Each write form carries a hidden ``idem`` token made when the page was drawn;
the console API takes an ``Idempotency-Key`` header. A double submit (a second
click, a browser retry, a script resending) replays the first answer instead
of writing twice. Keys are scoped to the operator, so two operators cannot
collide, and stored with the shop's other idempotency records
(``core.services.idempotent_call``), so the same pruning job drops them.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from patron.core import services as core_services
from patron.core.api import json_response
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop

Handler = Callable[[], tuple[int, Any]]


def new_token() -> str:
    """The one-time key a write form is drawn with."""
    return uuid.uuid4().hex


def _key(request: HttpRequest, token: str) -> str:
    return f"console:{request.user.pk}:{token}"


def form_once(request: HttpRequest, *, shop: Shop, handler: Handler) -> tuple[int, Any, bool]:
    """Run a console form's write once per posted ``idem`` token.

    Returns (status, body, replayed). A form posted without a token (an old
    page, a script) gets a fresh key, so it is not deduplicated, as before.
    """
    token = (request.POST.get("idem") or "")[:64] or new_token()
    fields = {k: v for k, v in request.POST.items() if k not in {"csrfmiddlewaretoken", "idem"}}
    return core_services.idempotent_call(
        shop=shop,
        key=_key(request, token),
        method="POST",
        path=request.path,
        body=json.dumps(fields, sort_keys=True).encode(),
        handler=handler,
    )


def api_once(request: HttpRequest, *, shop: Shop, handler: Handler) -> HttpResponse:
    """Run a console API write once per ``Idempotency-Key``; a replay answers
    the first status and body with ``Idempotent-Replayed: true``."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = handler()
        return json_response(status, body)
    if not 1 <= len(key) <= 200:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            _("Idempotency-Key must be 1 to 200 characters"),
            field="Idempotency-Key",
            status=400,
        )
    status, body, replayed = core_services.idempotent_call(
        shop=shop,
        key=_key(request, key),
        method=request.method or "POST",
        path=request.path,
        body=request.body,
        handler=handler,
    )
    return json_response(status, body, replayed=replayed)
