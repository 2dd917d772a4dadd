"""Turn pydantic validation errors into one PatronError naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from patron.core.errors import ErrorCode, PatronError


def field_path(loc: Sequence[Any], prefix: str = "") -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def problem_from_pydantic(exc: ValidationError, prefix: str = "") -> PatronError:
    errors = [
        {"field": field_path(err["loc"], prefix), "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = errors[0]
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        f"{first['field']}: {first['message']}",
        field=first["field"],
        errors=errors,
    )
