from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse

from patron.core.errors import ErrorCode, PatronError


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
            return _too_large(f"request body is {length} bytes; the limit is {limit}")
        return None


def _too_large(detail: str) -> PatronError:
    return PatronError(ErrorCode.BODY_TOO_LARGE, detail, field="body")


def _read_chunked(request: HttpRequest, limit: int) -> PatronError | None:
    """Read a chunked body the server has decoded, at most ``limit`` bytes, and
    give the request that body and its length (None); or the refusal."""
    if not request.META.get("wsgi.input_terminated"):
        return PatronError(
            ErrorCode.LENGTH_REQUIRED,
            "this server cannot read a chunked request body; send the body with a "
            "Content-Length header",
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
        return _too_large(f"the chunked request body is over the limit of {limit} bytes")
    body = b"".join(parts)
    request.META["CONTENT_LENGTH"] = str(len(body))
    # Django reads the body through this stream, bounded by the length it had
    # when the request was made (none, so nothing): give it the body read here.
    request._stream = io.BytesIO(body)
    return None
