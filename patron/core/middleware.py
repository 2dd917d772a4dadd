from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, lazy_format


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
    """Refuse oversize API bodies with 413 problem+json before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.PATRON_API_MAX_BODY_BYTES
            if length > limit:
                # Answered before LocaleMiddleware runs: use the request's language here.
                with translation.override(translation.get_language_from_request(request)):
                    return problem_response(
                        PatronError(
                            ErrorCode.BODY_TOO_LARGE,
                            lazy_format(
                                _("request body is %(length)s bytes; the limit is %(limit)s"),
                                length=length,
                                limit=limit,
                            ),
                            field="body",
                        ),
                        request.path,
                    )
        return self.get_response(request)
