"""Turn pydantic validation errors into one PatronError naming the field, and
the input types every API schema and form shares."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from django import forms
from django.core.exceptions import ValidationError as FormValidationError
from django.utils.translation import gettext_lazy, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, BeforeValidator, Field, ValidationError

from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.errors import Text as Message

# Datetimes outside these bounds overflow when converted to UTC or to the
# database's range; no shop event or profile date lies outside them.
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
MAX_OFFSET = dt.timedelta(hours=14)


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
    offset = value.utcoffset()
    if offset is None:
        raise ValueError(
            gettext_noop("must include a time zone offset, e.g. 2026-11-23T10:00:00+08:00")
        )
    # Python takes any offset under 24 hours; PostgreSQL refuses those past
    # 15:59 (a 500), and no time zone is further from UTC than 14 hours.
    if abs(offset) > MAX_OFFSET:
        raise ValueError(gettext_noop("must have a time zone offset between -14:00 and +14:00"))
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


# Text: every text field of the API and of the forms. Control characters (C0,
# DEL, C1) are never part of a name, an id or an address: NUL cannot be stored
# by PostgreSQL, and the others corrupt logs, exports and what a member is
# shown. Unpaired surrogates cannot be stored in any database encoding.
# Multi-line text (an address, a reason, a note) keeps newline, carriage
# return (browsers send CRLF) and tab.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# English in the code (pydantic's messages are read back by their text, see
# ``pydantic_message``); translated where they become a detail.
TEXT_MESSAGE = gettext_noop("must not contain control characters (such as NUL, tab or newline)")
MULTILINE_TEXT_MESSAGE = gettext_noop(
    "must not contain control characters other than newline and tab (such as NUL)"
)


def _problem_en(value: str, *, multiline: bool) -> str | None:
    if (_CONTROL_MULTILINE if multiline else _CONTROL).search(value):
        return MULTILINE_TEXT_MESSAGE if multiline else TEXT_MESSAGE
    return None


def text_problem(value: str, *, multiline: bool = False) -> Message | None:
    """Why ``value`` cannot be a text field's value (in the language active
    when it is rendered), or None."""
    problem = _problem_en(value, multiline=multiline)
    return None if problem is None else gettext_lazy(problem)


def _check_text(value: str) -> str:
    problem = _problem_en(value, multiline=False)
    if problem:
        raise ValueError(problem)
    return value


def _check_multiline_text(value: str) -> str:
    problem = _problem_en(value, multiline=True)
    if problem:
        raise ValueError(problem)
    return value


# The one string type of every API schema (ids, names, codes, query and path
# parameters), and its multi-line variant for free text.
Text = Annotated[str, AfterValidator(_check_text)]
MultilineText = Annotated[str, AfterValidator(_check_multiline_text)]


def validate_form_text(value: str) -> None:
    if text_problem(value):
        raise FormValidationError(
            gettext_lazy("Remove the control characters (such as tabs or line breaks)."),
            code="control_characters",
        )


def validate_form_multiline_text(value: str) -> None:
    if text_problem(value, multiline=True):
        raise FormValidationError(
            gettext_lazy("Remove the control characters (such as NUL)."),
            code="control_characters",
        )


class TextForm(forms.Form):
    """A form whose text fields refuse control characters as the API does:
    a Textarea keeps newlines and tabs, every other text field refuses them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                multiline = isinstance(field.widget, forms.Textarea)
                field.validators.append(
                    validate_form_multiline_text if multiline else validate_form_text
                )


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


# How deep a free-form JSON document (a custom event's data) may nest. Deeper
# documents overflow the serialisers (pydantic stops at 255 levels) and no
# shop needs them; they are refused naming the path where the limit is passed.
MAX_JSON_DEPTH = 32


def find_too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The path of the first object or array nested deeper than ``limit``
    levels (the document itself is level 1), or None. Walks without recursion,
    so a document of any depth is measured safely."""
    stack: list[tuple[Any, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in item.items()]
        elif isinstance(item, list | tuple):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(item)]
        else:
            continue
        if depth > limit:
            return path or "body"
        stack.extend((child, child_path, depth + 1) for child, child_path in reversed(children))
    return None


EXTERNAL_ID_MESSAGE = gettext_noop(
    "must not contain '/' nor be '.' or '..': the id is a segment of URLs "
    "such as /api/v1/members/{id}, where those could never be read back"
)


def check_external_id(value: str) -> str:
    """Refuse an external id (member, order, event) that cannot be a URL
    path segment: a slash splits it, '.' and '..' are resolved away."""
    if "/" in value or value in {".", ".."}:
        raise ValueError(EXTERNAL_ID_MESSAGE)
    return value


ExternalId = Annotated[Text, Field(min_length=1, max_length=64), AfterValidator(check_external_id)]


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


def pydantic_message(err: Mapping[str, Any]) -> Message:
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
