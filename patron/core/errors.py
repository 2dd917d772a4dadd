"""One application error type, rendered in one place as RFC 9457 problem+json.

Services raise :class:`PatronError` with a code from :class:`ErrorCode`; the API
layer (``patron.api``) turns it into a problem document naming the field.

The ``detail`` (and each ``errors[].message``) is English in the code, marked
for translation with ``gettext_lazy`` and, when it quotes values, built with
:func:`lazy_format`, so it is rendered when the answer is written, in the
request's language (``Accept-Language`` or the language cookie, zh-Hans by
default; ``LocaleMiddleware`` activates it). The ``code``, ``field`` and
``title`` stay the same in every language: clients act on those.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, cast

from django.utils.functional import Promise, lazy
from django.utils.translation import get_language, override

Text = str | Promise


def _render(message: Text, params: Mapping[str, Any]) -> str:
    return str(message) % {k: str(v) if isinstance(v, Promise) else v for k, v in params.items()}


_render_lazy = lazy(_render, str)


def lazy_format(message: Text, /, **params: Any) -> Promise:
    """``message % params``, done each time the text is rendered, so a
    ``gettext_lazy`` message is translated into the language active then
    (not the one active when the error was raised)."""
    return cast(Promise, _render_lazy(message, params))


def _pick(zh: str, en: str) -> str:
    return en if (get_language() or "").startswith("en") else zh


by_language = lazy(_pick, str)
"""A name kept in both languages (a tier's), chosen when the text is rendered."""


def in_english(text: Text) -> str:
    """The text as recorded in logs and the audit trail, whatever the request's language."""
    with override("en"):
        return str(text)


class ErrorCode(enum.StrEnum):
    # 400-range input problems
    MALFORMED_JSON = "malformed_json"
    VALIDATION_ERROR = "validation_error"
    BODY_TOO_LARGE = "body_too_large"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    UNKNOWN_MEMBER = "unknown_member"
    UNKNOWN_ORDER = "unknown_order"
    INVALID_TRANSITION = "invalid_transition"
    DUPLICATE = "duplicate"
    IDEMPOTENCY_MISMATCH = "idempotency_key_reused"
    NOT_FOUND = "not_found"
    # auth
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    # business refusals
    INSUFFICIENT_POINTS = "insufficient_points"
    LIMIT_REACHED = "limit_reached"
    SOLD_OUT = "sold_out"
    TIER_NOT_ELIGIBLE = "tier_not_eligible"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"


_DEFAULT_STATUS: dict[ErrorCode, int] = {
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.UNKNOWN_EVENT_TYPE: 422,
    ErrorCode.UNKNOWN_MEMBER: 422,
    ErrorCode.UNKNOWN_ORDER: 422,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.DUPLICATE: 409,
    ErrorCode.IDEMPOTENCY_MISMATCH: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INSUFFICIENT_POINTS: 409,
    ErrorCode.LIMIT_REACHED: 409,
    ErrorCode.SOLD_OUT: 409,
    ErrorCode.TIER_NOT_ELIGIBLE: 403,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.MALFORMED_JSON: "Malformed JSON",
    ErrorCode.VALIDATION_ERROR: "Invalid input",
    ErrorCode.BODY_TOO_LARGE: "Request body too large",
    ErrorCode.UNKNOWN_EVENT_TYPE: "Unknown event type",
    ErrorCode.UNKNOWN_MEMBER: "Unknown member",
    ErrorCode.UNKNOWN_ORDER: "Unknown order",
    ErrorCode.INVALID_TRANSITION: "Invalid state transition",
    ErrorCode.DUPLICATE: "Duplicate",
    ErrorCode.IDEMPOTENCY_MISMATCH: "Idempotency key reused with a different request",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.UNAUTHENTICATED: "Authentication required",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.INSUFFICIENT_POINTS: "Insufficient points",
    ErrorCode.LIMIT_REACHED: "Limit reached",
    ErrorCode.SOLD_OUT: "Sold out",
    ErrorCode.TIER_NOT_ELIGIBLE: "Not a benefit of the member's tier",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.RATE_LIMITED: "Too many requests",
}


class PatronError(Exception):
    """A refusal the caller can act on: bad input or a business rule."""

    def __init__(
        self,
        code: ErrorCode,
        detail: Text,
        *,
        field: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self._detail = detail
        self.field = field
        self.status = status or _DEFAULT_STATUS[code]
        self._errors = errors or ([{"field": field, "message": detail}] if field else [])

    @property
    def detail(self) -> str:
        """The detail in the language active now."""
        return str(self._detail)

    @property
    def detail_en(self) -> str:
        """The detail in English, for logs and the audit trail."""
        return in_english(self._detail)

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Each failing field with its message, in the language active now."""
        return [
            {k: str(v) if isinstance(v, Promise) else v for k, v in e.items()} for e in self._errors
        ]

    def __str__(self) -> str:
        return self.detail

    def as_problem(self, instance: str | None = None) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": f"https://patron.dev/problems/{self.code.value}",
            "title": _TITLES[self.code],
            "status": self.status,
            "detail": self.detail,
            "code": self.code.value,
        }
        if self.field:
            problem["field"] = self.field
        if self.errors:
            problem["errors"] = self.errors
        if instance:
            problem["instance"] = instance
        return problem


def validation_error(field: str, message: Text) -> PatronError:
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        lazy_format("%(field)s: %(message)s", field=field, message=message),
        field=field,
        errors=[{"field": field, "message": message}],
    )
