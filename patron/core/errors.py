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
    """Every ``code`` a problem document may carry; README "Error codes" lists
    them with their meaning. A refusal names its specific reason here, never
    the generic ``conflict``."""

    # 400-range input problems
    BAD_REQUEST = "bad_request"
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
    METHOD_NOT_ALLOWED = "method_not_allowed"
    # auth
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    # business refusals (409)
    INSUFFICIENT_POINTS = "insufficient_points"
    LIMIT_REACHED = "limit_reached"
    SOLD_OUT = "sold_out"
    NOT_STARTED = "not_started"
    ENDED = "ended"
    INACTIVE = "inactive"
    NOT_CLAIMABLE = "not_claimable"
    TIER = "tier"
    ORDER_PAID = "order_paid"
    HOLD_EXISTS = "hold_exists"
    HOLD_EXPIRED = "hold_expired"
    ALREADY_IN_TIER = "already_in_tier"
    OVERRIDE_OPEN = "override_open"
    # why a coupon or points cannot be used (promotions.reasons; 409 at reserve,
    # and the ``reason.code`` of each coupon in a checkout evaluation)
    NOT_YOURS = "not_yours"
    USED = "used"
    HELD = "held"
    REVOKED = "revoked"
    EXPIRED = "expired"
    NEW_MEMBERS_ONLY = "new_members_only"
    SCOPE = "scope"
    THRESHOLD = "threshold"
    NO_SHIPPING = "no_shipping"
    NOTHING_LEFT = "nothing_left"
    BUDGET = "budget"
    NOT_COMBINABLE = "not_combinable"
    POINTS_NOT_WITH_COUPONS = "points_not_with_coupons"
    POINTS_BELOW_MINIMUM = "points_below_minimum"
    POINTS_CAPPED = "points_capped"
    POINTS_TRIMMED = "points_trimmed"
    POINTS_DISABLED = "points_disabled"
    # a benefit the member's tier does not give (403)
    TIER_NOT_ELIGIBLE = "tier_not_eligible"
    # the request kept colliding with concurrent ones (or a server fault): send it again
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    # a fault of Patron's, not of the request (logged; never for bad input)
    INTERNAL_ERROR = "internal_error"


# Codes not listed answer 409.
_DEFAULT_STATUS: dict[ErrorCode, int] = {
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.MALFORMED_JSON: 400,
    ErrorCode.VALIDATION_ERROR: 422,
    ErrorCode.BODY_TOO_LARGE: 413,
    ErrorCode.LENGTH_REQUIRED: 411,
    ErrorCode.UNKNOWN_EVENT_TYPE: 422,
    ErrorCode.UNKNOWN_MEMBER: 422,
    ErrorCode.UNKNOWN_ORDER: 422,
    ErrorCode.IDEMPOTENCY_MISMATCH: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.TIER_NOT_ELIGIBLE: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
}

_TITLES: dict[ErrorCode, str] = {
    ErrorCode.BAD_REQUEST: "Bad request",
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
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.UNAUTHENTICATED: "Authentication required",
    ErrorCode.FORBIDDEN: "Forbidden",
    ErrorCode.INSUFFICIENT_POINTS: "Insufficient points",
    ErrorCode.LIMIT_REACHED: "Limit reached",
    ErrorCode.SOLD_OUT: "Sold out",
    ErrorCode.NOT_STARTED: "Not started yet",
    ErrorCode.ENDED: "Ended",
    ErrorCode.INACTIVE: "No longer offered",
    ErrorCode.NOT_CLAIMABLE: "Not claimable",
    ErrorCode.TIER: "Not for this member's tier",
    ErrorCode.ORDER_PAID: "Order already paid",
    ErrorCode.HOLD_EXISTS: "Order already held for another cart",
    ErrorCode.HOLD_EXPIRED: "Hold expired or released",
    ErrorCode.ALREADY_IN_TIER: "Already in this tier",
    ErrorCode.OVERRIDE_OPEN: "Tier override already open",
    ErrorCode.NOT_YOURS: "Belongs to another member",
    ErrorCode.USED: "Coupon already used",
    ErrorCode.HELD: "Coupon held by another order",
    ErrorCode.REVOKED: "Coupon withdrawn",
    ErrorCode.EXPIRED: "Coupon expired",
    ErrorCode.NEW_MEMBERS_ONLY: "Only for a new member's first order",
    ErrorCode.SCOPE: "No eligible items",
    ErrorCode.THRESHOLD: "Minimum spend not reached",
    ErrorCode.NO_SHIPPING: "No shipping fee",
    ErrorCode.NOTHING_LEFT: "Nothing left to discount",
    ErrorCode.BUDGET: "Promotion budget used up",
    ErrorCode.NOT_COMBINABLE: "Cannot be combined",
    ErrorCode.POINTS_NOT_WITH_COUPONS: "Points cannot be used with coupons",
    ErrorCode.POINTS_BELOW_MINIMUM: "Below the points minimum",
    ErrorCode.POINTS_CAPPED: "Above the points cap",
    ErrorCode.POINTS_TRIMMED: "Fewer points buy the same",
    ErrorCode.POINTS_DISABLED: "Paying with points is off",
    ErrorCode.TIER_NOT_ELIGIBLE: "Not a benefit of the member's tier",
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
        self.status = status or _DEFAULT_STATUS.get(code, 409)
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
