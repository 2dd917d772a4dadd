"""Inbound SMS replies from the gateway: ``POST /sms/inbound/``.

The SMS gateway forwards each reply a member sends to the shop's number;
a stop word (T, TD, 退订, STOP) turns SMS marketing off for that number
(``services.sms_reply_receive``). Gateways post JSON or a form, so both are
read: ``from`` (the member's number) and ``text``. The gateway proves itself
with ``Authorization: Bearer <PATRON_SMS_INBOUND_TOKEN>``; with no token set
the endpoint does not exist (404). CSRF-exempt: the token, not a session,
authorises it.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.middleware import problem_response
from patron.messaging import services

MAX_PHONE = 32
MAX_TEXT = 500


def _fields(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise PatronError(ErrorCode.MALFORMED_JSON, _("the body is not valid JSON")) from None
        if not isinstance(data, dict):
            raise validation_error("body", _("must be a JSON object"))
        return data
    return {k: request.POST.get(k) for k in ("from", "text")}


def _text_field(data: dict[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise validation_error(
            name, lazy_format(_("required, text of at most %(limit)s characters"), limit=limit)
        )
    return value


@csrf_exempt
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "PATRON_SMS_INBOUND_TOKEN", "")
    if not token:
        return problem_response(PatronError(ErrorCode.NOT_FOUND, _("not found")))
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        return problem_response(
            PatronError(ErrorCode.UNAUTHENTICATED, _("a valid inbound SMS token is required"))
        )
    try:
        data = _fields(request)
        phone = _text_field(data, "from", MAX_PHONE)
        text = _text_field(data, "text", MAX_TEXT)
    except PatronError as error:
        return problem_response(error)
    return JsonResponse({"unsubscribed": services.sms_reply_receive(phone=phone, text=text)})
