from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, Text, code_for_status, lazy_format


def encode_json(body: Any) -> bytes:
    """UTF-8 JSON with Chinese left readable.

    An answer may quote what the client sent, unpaired surrogates included;
    those cannot be encoded as UTF-8, so they go out as \\uXXXX escapes, which
    are valid JSON.
    """
    text = json.dumps(body, ensure_ascii=False, cls=DjangoJSONEncoder)
    return text.encode("utf-8", "backslashreplace")


def problem_response(error: PatronError, instance: str | None = None) -> HttpResponse:
    return HttpResponse(
        encode_json(error.as_problem(instance)),
        status=error.status,
        content_type="application/problem+json",
    )


def remember_language(response: HttpResponse, language: str) -> HttpResponse:
    """``response`` with the language cookie set to ``language`` for a year."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


class ApiBodySizeMiddleware:
    """Refuse oversize API bodies with 413 problem+json before anything reads them.

    A body sent with ``Transfer-Encoding: chunked`` has no Content-Length, and
    Django reads such a body as empty. When the server has already decoded
    the chunks and ends the input stream (``wsgi.input_terminated``, which
    gunicorn sets), the body is read here, up to the limit, and handed on with
    its length; a server that cannot (Django's ``runserver``) gets 411 saying
    to send a Content-Length.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            refusal = self._refusal(request)
            if refusal is not None:
                # Answered before LocaleMiddleware runs: use the request's language here.
                with translation.override(translation.get_language_from_request(request)):
                    return problem_response(refusal, request.path)
        return self.get_response(request)

    @staticmethod
    def _refusal(request: HttpRequest) -> PatronError | None:
        limit: int = settings.PATRON_API_MAX_BODY_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        if not declared and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            return _read_chunked(request, limit)
        try:
            length = int(declared or 0)
        except ValueError:
            length = 0
        if length > limit:
            return _too_large(
                lazy_format(
                    _("request body is %(length)s bytes; the limit is %(limit)s"),
                    length=length,
                    limit=limit,
                )
            )
        return None


def _too_large(detail: Text) -> PatronError:
    return PatronError(ErrorCode.BODY_TOO_LARGE, detail, field="body")


def _read_chunked(request: HttpRequest, limit: int) -> PatronError | None:
    """Read a chunked body the server has decoded, at most ``limit`` bytes, and
    give the request that body and its length (None); or the refusal."""
    if not request.META.get("wsgi.input_terminated"):
        return PatronError(
            ErrorCode.LENGTH_REQUIRED,
            _(
                "this server cannot read a chunked request body; send the body with a "
                "Content-Length header"
            ),
            field="body",
        )
    stream = request.META["wsgi.input"]
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        part = stream.read(min(64 * 1024, limit + 1 - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    if size > limit:
        return _too_large(
            lazy_format(
                _("the chunked request body is over the limit of %(limit)s bytes"), limit=limit
            )
        )
    body = b"".join(parts)
    request.META["CONTENT_LENGTH"] = str(len(body))
    # Django reads the body through this stream, bounded by the length it had
    # when the request was made (none, so nothing): give it the body read here.
    request._stream = io.BytesIO(body)
    return None


PROBLEM_JSON = "application/problem+json"
_GENERIC_DETAIL: dict[int, Text] = {
    400: _("the request could not be read"),
    403: _("forbidden"),
    404: _("no such resource; see /api/docs"),
    405: _("this resource does not take that method"),
    500: _("internal error; it has been logged"),
}


class ApiProblemMiddleware:
    """Every error under /api/ leaves as problem+json.

    Patron's own errors are problem documents already (``patron.api``); this
    catches the rest, which Django or django-ninja answer before any Patron
    code runs: an unknown path (Django's HTML 404), a wrong method (ninja's
    plain-text 405), an unreadable request (Django's 400 handler) and a crash
    in a middleware (Django's 500 handler). Outermost, so it sees them all.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith("/api/")
            or str(response.get("Content-Type", "")).startswith(PROBLEM_JSON)
        ):
            return response
        status = response.status_code
        detail = _GENERIC_DETAIL.get(status, _("the request was refused"))
        allowed = response.get("Allow")
        if status == 405 and allowed:
            detail = lazy_format(
                _("%(detail)s; allowed: %(allowed)s"), detail=detail, allowed=allowed
            )
        # Django may answer before LocaleMiddleware ran: use the request's language.
        with translation.override(translation.get_language_from_request(request)):
            problem = problem_response(
                PatronError(code_for_status(status), detail, status=status), request.path
            )
        for header in ("Allow", "WWW-Authenticate", "Retry-After"):
            if header in response:
                problem[header] = response[header]
        return problem


# Scripts and styles come from Patron's own static files only. Inline
# scripts run only with the request's nonce (``request.csp_nonce``); style
# attributes stay allowed (progress bars set their width that way; they run
# no code). Nothing may frame the pages, and forms post only to Patron.
CSP_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self'; "
    "style-src-attr 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# The Django admin and the API's interactive docs bring their own scripts.
CSP_EXEMPT_PREFIXES = ("/admin/", "/api/")


class ContentSecurityPolicyMiddleware:
    """A Content-Security-Policy on every page of the portal and the console.

    Django 5.2 has none built in; this is the whole of what Patron needs
    (docs/decisions/web-security-headers.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(CSP_EXEMPT_PREFIXES):
            # The API and the admin render no page of Patron's: no nonce to make.
            return self.get_response(request)
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        if (
            str(response.get("Content-Type", "")).startswith("text/html")
            and "Content-Security-Policy" not in response
        ):
            response["Content-Security-Policy"] = CSP_POLICY.format(nonce=nonce)
        return response
