"""The inbound-mail webhook: ``POST /mail/inbound/``.

A mail provider (or a forwarding script) posts each raw message: the RFC
5322 bytes as the body (``Content-Type: message/rfc822``) and the inbox's
token as ``Authorization: Bearer <token>``. The mail's Message-ID makes a
repost harmless. CSRF-exempt: the token, not a session, authorises it.
Like the inbound SMS webhook, it lives outside the shop API: the caller is
a mail system, not a shop with an API key."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.middleware import problem_response
from patron.service.services.mail import mail_inbox_by_token, mail_receive


@csrf_exempt
@require_POST
def mail_inbound(request: HttpRequest) -> HttpResponse:
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    try:
        inbox = mail_inbox_by_token(token)
        try:
            raw = request.body
        except RequestDataTooBig:
            raise PatronError(
                ErrorCode.BODY_TOO_LARGE, _("the mail is too large"), field="body", status=413
            ) from None
        if not raw.strip():
            raise validation_error("body", _("the raw mail is missing"))
        outcome = mail_receive(inbox=inbox, raw=raw)
    except PatronError as error:
        return problem_response(error, request.path)
    return JsonResponse(
        {
            "action": outcome.action,
            "ticket": outcome.ticket.reference if outcome.ticket is not None else None,
            "why": outcome.why,
        }
    )
