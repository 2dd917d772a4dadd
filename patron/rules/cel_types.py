"""The CEL types the rule conditions are checked against (``typecheck``): the
type value :class:`T`, the declared variables of each trigger (:data:`ORDER`,
:data:`MEMBER`, :data:`EVENT`), which types an operator or function takes, and
the error a refused condition raises (:class:`CelTypeError`, with position).

**The limit: ``event.data`` is free-form.** It is whatever the shop sent with
the event (custom events carry any fields), so it is typed ``dyn``: any field
name is accepted and its operators are checked only at run time, where a
missing field or a type mismatch makes the condition "not met". Prefer the
typed ``order`` for order rules; use ``has(event.data.x)`` before reading an
optional field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from lark import Token, Tree

from patron.core.errors import Text, lazy_format


@dataclass(frozen=True)
class T:
    """A CEL type: a primitive, ``list``, ``map``, an object with known fields, or ``dyn``."""

    name: str  # int uint double string bool bytes null timestamp duration list map object dyn
    elem: T | None = None  # list element, map value
    fields: Mapping[str, T] = field(default_factory=dict)  # object fields
    label: str = ""  # how an object is named in messages ("order")

    def __str__(self) -> str:
        if self.name == "list":
            return f"list({self.elem})"
        if self.name == "map":
            return f"map(string, {self.elem})"
        if self.name == "object":
            return self.label or "object"
        return self.name


INT, UINT, DOUBLE = T("int"), T("uint"), T("double")
STRING, BOOL, BYTES, NULL = T("string"), T("bool"), T("bytes"), T("null")
TIMESTAMP, DURATION, DYN = T("timestamp"), T("duration"), T("dyn")


def obj(label: str, **fields: T) -> T:
    return T("object", fields=fields, label=label)


def list_of(elem: T) -> T:
    return T("list", elem=elem)


# The variables of order rules (``points.earning_rules.order_activation`` builds them).
LINE = obj(
    "order line",
    line_id=STRING,
    sku=STRING,
    category=STRING,
    quantity=INT,
    unit_price=INT,
    paid_amount=INT,
)
ORDER = obj(
    "order",
    order_id=STRING,
    paid_amount=INT,
    goods_paid=INT,
    shipping_fee=INT,
    items_amount=INT,
    points_used=INT,
    coupon_codes=list_of(STRING),
    lines=list_of(LINE),
)
# ``points.earning_rules.member_activation``.
MEMBER = obj(
    "member",
    external_id=STRING,
    tier=STRING,
    registration_channel=STRING,
    gender=STRING,
    language=STRING,
    registered_at=TIMESTAMP,
    has_birthday=BOOL,
)
# ``data`` is free-form: see the module docstring.
EVENT = obj("event", type=STRING, data=DYN)

ORDER_TRIGGERS = frozenset({"order.paid"})


def variables_for(trigger: str | None) -> dict[str, T]:
    """The typed variables a rule of ``trigger`` sees (all of them when unknown)."""
    if trigger is None or trigger in ORDER_TRIGGERS:
        return {"order": ORDER, "member": MEMBER, "event": EVENT}
    return {"member": MEMBER, "event": EVENT}


NUMERIC = {"int", "uint", "double"}
ORDERED = NUMERIC | {"string", "timestamp", "duration", "bool", "bytes"}
STRING_METHODS = {"contains", "startsWith", "endsWith", "matches"}
TIME_GETTERS = {
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
}
MACROS = {"all", "exists", "exists_one", "map", "filter"}
CONVERSIONS = {
    "int": INT,
    "uint": UINT,
    "double": DOUBLE,
    "string": STRING,
    "bool": BOOL,
    "bytes": BYTES,
    "timestamp": TIMESTAMP,
    "duration": DURATION,
    "dyn": DYN,
    "type": DYN,
}


def is_a(t: T, *names: str) -> bool:
    return t.name == "dyn" or t.name in names


def same_type(a: T, b: T) -> bool:
    """Values of ``a`` and ``b`` may meet in ``==``, ``+`` and the like."""
    if "dyn" in (a.name, b.name):
        return True
    if a.name != b.name:
        return False
    if a.name in {"list", "map"} and a.elem is not None and b.elem is not None:
        return same_type(a.elem, b.elem)
    return True


class CelTypeError(Exception):
    """A condition refused before it is saved, with the line and column."""

    def __init__(self, message: Text, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def position(node: Tree | Token) -> tuple[int, int]:
    if isinstance(node, Token):
        return int(node.line or 1), int(node.column or 1)
    meta = node.meta
    return int(getattr(meta, "line", 1) or 1), int(getattr(meta, "column", 1) or 1)


def type_error(node: Tree | Token, message: Text) -> CelTypeError:
    line, column = position(node)
    return CelTypeError(message, line, column)


def no_overload(node: Tree | Token, symbol: str, left: Any, right: Any) -> CelTypeError:
    """A binary operator applied to two types it has no overload for."""
    return type_error(
        node,
        lazy_format(
            _("no overload of '%(symbol)s' for (%(left)s, %(right)s)"),
            symbol=symbol,
            left=left,
            right=right,
        ),
    )
