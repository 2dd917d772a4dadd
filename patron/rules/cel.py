"""Conditions as CEL expressions: check when saved, compile once, evaluate safely.

Operators write conditions such as ``event.data.has_photos && member.tier == "gold"``.
An expression is parsed when a rule version is saved (a syntax error names its
line and column, and the version is not saved), then type-checked against the
typed variables of the rule's trigger (``rules.typecheck``: ``order.nope``, a
variable the trigger does not provide or ``order.paid_amount > "1"`` is refused
with its line and column too; ``event.data`` is free-form and checked only at
run time), and compiled once per version
(the cache key is the version's id plus its text, and versions never change).
Evaluation runs in celpy's sandbox: no attribute access on Python objects, no
imports, no I/O. A condition that fails at run time (a missing field, a type
mismatch) counts as "not met" rather than breaking the event.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

import celpy
from celpy import celtypes
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError, Text, lazy_format
from patron.rules import cel_types, typecheck

logger = logging.getLogger("patron.rules")

_env = celpy.Environment()
_cache: dict[tuple[int, str], Any] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 2048


@dataclass(frozen=True)
class CelSyntaxError:
    """Why a condition is refused (a syntax or a type error) and where."""

    message: Text
    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


CelProblem = CelSyntaxError

ANY_TRIGGER = None


def check(expression: str, trigger: str | None = ANY_TRIGGER) -> CelSyntaxError | None:
    """None if ``expression`` parses and is well typed for a rule of
    ``trigger`` (any trigger's variables when None); else where and why not."""
    if not expression.strip():
        return None
    try:
        tree = _env.compile(expression)
    except celpy.CELParseError as exc:
        line = int(getattr(exc, "line", 0) or 1)
        column = int(getattr(exc, "column", 0) or 1)
        first = str(exc.args[0]).splitlines()[0] if exc.args else "syntax error"
        return CelSyntaxError(
            message=f"syntax error near {first.strip()!r}", line=line, column=column
        )
    except Exception as exc:  # celpy raises a few other types for odd input
        return CelSyntaxError(message=str(exc) or "cannot compile", line=1, column=1)
    error = typecheck.type_check(tree, cel_types.variables_for(trigger))
    if error is not None:
        return CelSyntaxError(message=error.message, line=error.line, column=error.column)
    return None


def validate(
    expression: str, *, field: str = "condition", trigger: str | None = ANY_TRIGGER
) -> None:
    """Raise a 422 PatronError naming line and column if the expression is invalid."""
    problem = check(expression, trigger)
    if problem is not None:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(_("%(field)s: %(problem)s"), field=field, problem=problem),
            field=field,
            errors=[
                {
                    "field": field,
                    "message": problem.message,
                    "line": problem.line,
                    "column": problem.column,
                }
            ],
        )


def _program(cache_key: int, expression: str) -> Any:
    key = (cache_key, expression)
    program = _cache.get(key)
    if program is None:
        program = _env.program(_env.compile(expression))
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = program
    return program


def to_cel(value: Any) -> Any:
    """Plain Python (JSON-ish, dates) into CEL values."""
    if isinstance(value, bool):
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, dt.datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, dt.date):
        return celtypes.StringType(value.isoformat())
    if isinstance(value, dict):
        return celtypes.MapType({celtypes.StringType(k): to_cel(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return celtypes.ListType([to_cel(v) for v in value])
    if value is None:
        return None
    return celtypes.StringType(str(value))


def evaluate(cache_key: int, expression: str, activation: dict[str, Any]) -> bool:
    """True if the condition holds. Empty means "always"; a run-time error means no."""
    if not expression.strip():
        return True
    try:
        result = _program(cache_key, expression).evaluate(
            {name: to_cel(value) for name, value in activation.items()}
        )
    except Exception as exc:  # CELEvalError and friends: the rule does not apply
        logger.info("condition of rule version %s did not evaluate: %s", cache_key, exc)
        return False
    return isinstance(result, celtypes.BoolType | bool) and bool(result)
