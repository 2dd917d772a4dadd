"""One application error type, rendered in one place as RFC 9457 problem+json.

Services raise :class:`PatronError` with a code from :class:`ErrorCode`; the API
layer (``patron.api``) turns it into a problem document naming the field.
"""

from __future__ import annotations

import enum
from typing import Any


class ErrorCode(enum.StrEnum):
    # 400-range input problems
    MALFORMED_JSON = "malformed_json"
    VALIDATION_ERROR = "validation_error"
    BODY_TOO_LARGE = "body_too_large"
    LENGTH_REQUIRED = "length_required"
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
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"


_DEFAULT_STATUS: dict[ErrorCode, int] = {
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.LENGTH_REQUIRED: 411,
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
    ErrorCode.CONFLICT: 409,
    ErrorCode.RATE_LIMITED: 429,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.MALFORMED_JSON: "Malformed JSON",
    ErrorCode.VALIDATION_ERROR: "Invalid input",
    ErrorCode.BODY_TOO_LARGE: "Request body too large",
    ErrorCode.LENGTH_REQUIRED: "Content-Length required",
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
    ErrorCode.CONFLICT: "Conflict",
    ErrorCode.RATE_LIMITED: "Too many requests",
}


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
