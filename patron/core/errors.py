"""One application error type, rendered in one place as RFC 9457 problem+json.

Services raise :class:`PatronError` with a code from :class:`ErrorCode`; the API
layer (``patron.api``) turns it into a problem document naming the field.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    # 400-range input problems
    BAD_REQUEST = "bad_request"
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
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # auth
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    # business refusals
    INSUFFICIENT_POINTS = "insufficient_points"
    LIMIT_REACHED = "limit_reached"
    SOLD_OUT = "sold_out"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    # a fault of Patron's, not of the request (logged; never for bad input)
    INTERNAL_ERROR = "internal_error"


_DEFAULT_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
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
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INSUFFICIENT_POINTS: 409,
    ErrorCode.LIMIT_REACHED: 409,
    ErrorCode.SOLD_OUT: 409,
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.BAD_REQUEST: "Bad request",
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
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.UNAUTHENTICATED: "Authentication required",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.INSUFFICIENT_POINTS: "Insufficient points",
    ErrorCode.LIMIT_REACHED: "Limit reached",
    ErrorCode.SOLD_OUT: "Sold out",
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.RATE_LIMITED: "Too many requests",
    ErrorCode.INTERNAL_ERROR: "Internal error",
}

# The code an HTTP status stands for when Django or django-ninja refused the
# request before any Patron code ran (an unknown path, a wrong method, ...).
_CODE_FOR_STATUS: dict[int, ErrorCode] = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BODY_TOO_LARGE,
    422: ErrorCode.VALIDATION_ERROR,
    429: ErrorCode.RATE_LIMITED,
}


def code_for_status(status: int) -> ErrorCode:
    if status >= 500:
        return ErrorCode.INTERNAL_ERROR
    return _CODE_FOR_STATUS.get(status, ErrorCode.BAD_REQUEST)


class PatronError(Exception):
    """A refusal the caller can act on: bad input or a business rule."""

    def __init__(
        self,
        code: ErrorCode,
        detail: str,
        *,
        field: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.status = status or _DEFAULT_STATUS[code]
        self.errors = errors or ([{"field": field, "message": detail}] if field else [])

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


def validation_error(field: str, message: str) -> PatronError:
    return PatronError(ErrorCode.VALIDATION_ERROR, f"{field}: {message}", field=field)
