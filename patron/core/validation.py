"""Turn pydantic validation errors into one PatronError naming the field, and
the input types every API schema shares."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from django.utils.translation import gettext_lazy, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BeforeValidator, ValidationError

from patron.core.errors import ErrorCode, PatronError, Text, lazy_format

# Datetimes outside these bounds overflow when converted to UTC or to the
# database's range; no shop event or profile date lies outside them.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _iso_datetime(value: Any) -> Any:
    # Lax pydantic reads numbers (and numeric strings) as Unix timestamps; a
    # shop sending 12345 for a date-time has a bug we should name, not guess.
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(gettext_noop("must be an ISO 8601 date-time string"))
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            gettext_noop("must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00+08:00")
        ) from None


def check_aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            gettext_noop("must include a time zone offset, e.g. 2026-11-23T10:00:00+08:00")
        )
    if not EARLIEST <= value <= LATEST:
        raise ValueError(gettext_noop("must be between the years 1900 and 9000"))
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError(gettext_noop("must be an ISO 8601 date string (YYYY-MM-DD)"))
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(gettext_noop("must be a date (YYYY-MM-DD)")) from None


AwareDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime), AfterValidator(check_aware)]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


# NUL and lone surrogates: PostgreSQL text and jsonb cannot store the first,
# no database encoding can store the second. NaN and Infinity (which Python's
# JSON parser reads from ``NaN``, ``Infinity`` and overflowing literals such
# as ``1e999``) are not JSON: jsonb refuses them and SQLite would store text
# no standard JSON reader accepts.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
UNSTORABLE_MESSAGE = _(
    "must not contain NUL characters, unpaired surrogates or non-finite numbers (NaN, Infinity)"
)


def find_unstorable(value: Any, path: str = "") -> str | None:
    """The path of the first value (string key or value, or number) the
    database cannot store as JSON.

    Refusing these up front turns a database error (a 500) into a 422 naming
    the field.
    """
    if isinstance(value, float):
        return None if math.isfinite(value) else (path or "body")
    if isinstance(value, str):
        return (path or "body") if _UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _UNSTORABLE.search(key):
                return child
            found = find_unstorable(item, child)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def field_path(loc: Sequence[Any], prefix: str = "") -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


# pydantic's messages by error type, in words that translate; ``%(...)s``
# takes the error's context. A type not listed keeps pydantic's English text.
_PYDANTIC_MESSAGES: dict[str, Any] = {
    "missing": _("Field required"),
    "extra_forbidden": _("Extra inputs are not permitted"),
    "int_type": _("Input should be a valid integer"),
    "int_parsing": _("Input should be a valid integer"),
    "int_from_float": _("Input should be a whole number"),
    "float_type": _("Input should be a valid number"),
    "float_parsing": _("Input should be a valid number"),
    "string_type": _("Input should be a valid string"),
    "bool_type": _("Input should be a valid boolean"),
    "bool_parsing": _("Input should be a valid boolean"),
    "list_type": _("Input should be a valid list"),
    "dict_type": _("Input should be an object"),
    "model_type": _("Input should be an object"),
    "model_attributes_type": _("Input should be an object"),
    "string_too_short": _("String should have at least %(min_length)s characters"),
    "string_too_long": _("String should have at most %(max_length)s characters"),
    "too_short": _("List should have at least %(min_length)s items"),
    "too_long": _("List should have at most %(max_length)s items"),
    "greater_than": _("Input should be greater than %(gt)s"),
    "greater_than_equal": _("Input should be greater than or equal to %(ge)s"),
    "less_than": _("Input should be less than %(lt)s"),
    "less_than_equal": _("Input should be less than or equal to %(le)s"),
    "literal_error": _("Input should be %(expected)s"),
    "enum": _("Input should be %(expected)s"),
    "string_pattern_mismatch": _("String should match pattern %(pattern)s"),
    "json_invalid": _("Invalid JSON"),
}
_VALUE_ERROR_PREFIXES = ("Value error, ", "Assertion failed, ")


def pydantic_message(err: Mapping[str, Any]) -> Text:
    """One pydantic error's message in the request's language where Patron
    knows the words: by error type, and our own validators' messages (which
    are in the catalogue) by their text."""
    kind = str(err.get("type", ""))
    message = str(err.get("msg", "invalid"))
    if kind in {"value_error", "assertion_error"}:
        for prefix in _VALUE_ERROR_PREFIXES:
            message = message.removeprefix(prefix)
        return gettext_lazy(message)
    known = _PYDANTIC_MESSAGES.get(kind)
    if known is None:
        return message
    context = err.get("ctx") or {}
    try:
        str(known) % {k: v for k, v in context.items()}
    except (KeyError, TypeError, ValueError):
        return message  # the context lacks what the words need: keep pydantic's
    return lazy_format(known, **{k: str(v) for k, v in context.items()})


def problem_from_pydantic(exc: ValidationError, prefix: str = "") -> PatronError:
    errors: list[dict[str, Any]] = [
        {
            "field": field_path(err["loc"], prefix),
            "message": pydantic_message(err),
            "type": err["type"],
        }
        for err in exc.errors(include_url=False, include_context=True, include_input=False)
    ]
    first = errors[0]
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        lazy_format(_("%(field)s: %(message)s"), field=first["field"], message=first["message"]),
        field=str(first["field"]),
        errors=errors,
    )
