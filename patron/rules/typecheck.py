"""A static check of CEL conditions against the typed variables a rule sees.

celpy parses and evaluates CEL but has no type checker, so ``order.nope`` or
``order.paid_amount > "100"`` used to be saved and then silently never match
("a run-time error means no"). This walks the parse tree with the declared
types of the variables (``cel_types``: ``ORDER``, ``MEMBER``, ``EVENT``) and
refuses, with line and column, what the evaluator would refuse on every input:

- a variable the rule's trigger does not provide (``order`` on a check-in rule);
- a field the declared object does not have (``order.nope``, ``member.tiers``);
- an operator or function applied to types it has no overload for
  (``order.paid_amount + 1.5``, ``member.tier > 3``, ``size(1)``);
- a condition that is not true or false (``order.paid_amount``).

The types follow celpy's evaluator, which is strict: no int/double mixing,
``==`` only between values of one type (or ``null``). The limit, the
free-form ``event.data``, is told in ``cel_types``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from lark import Token, Tree

from patron.core.errors import lazy_format
from patron.rules.cel_types import (
    BOOL,
    BYTES,
    CONVERSIONS,
    DOUBLE,
    DURATION,
    DYN,
    INT,
    MACROS,
    NULL,
    NUMERIC,
    ORDERED,
    STRING,
    STRING_METHODS,
    TIME_GETTERS,
    TIMESTAMP,
    UINT,
    CelTypeError,
    T,
    is_a,
    list_of,
    no_overload,
    position,
    same_type,
    type_error,
)


class Checker:
    def __init__(self, variables: Mapping[str, T]) -> None:
        self.scopes: list[dict[str, T]] = [dict(variables)]

    def lookup(self, name: str) -> T | None:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    # --- the grammar, rule by rule (celpy's cel.lark) ---------------------------

    def check(self, node: Tree | Token) -> T:
        if isinstance(node, Token):  # pragma: no cover - tokens are read by their rule
            raise type_error(node, lazy_format(_("unexpected %(node)s"), node=node))
        method = getattr(self, f"r_{node.data}", None)
        if method is None:
            raise type_error(
                node, lazy_format(_("%(data)s is not supported in conditions"), data=node.data)
            )
        result: T = method(node)
        return result

    def _trees(self, node: Tree) -> list[Tree]:
        return [c for c in node.children if isinstance(c, Tree)]

    def _single(self, node: Tree) -> T:
        return self.check(self._trees(node)[0])

    def r_expr(self, node: Tree) -> T:
        parts = self._trees(node)
        if len(parts) == 1:
            return self.check(parts[0])
        cond, then, other = parts
        if not is_a(self.check(cond), "bool"):
            raise type_error(cond, _("the condition of ?: must be true or false"))
        a, b = self.check(then), self.check(other)
        if not same_type(a, b):
            raise type_error(
                then,
                lazy_format(_("the branches of ?: differ in type (%(a)s and %(b)s)"), a=a, b=b),
            )
        return a if a.name != "dyn" else b

    def _logic(self, node: Tree, op: str) -> T:
        parts = self._trees(node)
        if len(parts) == 1:
            return self.check(parts[0])
        for part in parts:
            got = self.check(part)
            if not is_a(got, "bool"):
                raise type_error(
                    part,
                    lazy_format(
                        _("%(op)s needs true or false on both sides, not %(got)s"), op=op, got=got
                    ),
                )
        return BOOL

    def r_conditionalor(self, node: Tree) -> T:
        return self._logic(node, "||")

    def r_conditionaland(self, node: Tree) -> T:
        return self._logic(node, "&&")

    def r_relation(self, node: Tree) -> T:
        parts = self._trees(node)
        if len(parts) == 1:
            return self.check(parts[0])
        op_node, right_node = parts
        op = str(op_node.data)
        left_node = self._trees(op_node)[0]
        left, right = self.check(left_node), self.check(right_node)
        if op == "relation_in":
            if right.name == "dyn":
                return BOOL
            if right.name == "list" and right.elem is not None and same_type(left, right.elem):
                return BOOL
            if right.name in {"map", "object"} and is_a(left, "string"):
                return BOOL
            raise type_error(
                left_node,
                lazy_format(
                    _("no overload of 'in' for %(left)s in %(right)s"), left=left, right=right
                ),
            )
        symbol = {
            "relation_lt": "<",
            "relation_le": "<=",
            "relation_gt": ">",
            "relation_ge": ">=",
            "relation_eq": "==",
            "relation_ne": "!=",
        }[op]
        if op in {"relation_eq", "relation_ne"}:
            if same_type(left, right) or NULL in (left, right):
                return BOOL
        elif (is_a(left, *ORDERED) and is_a(right, *ORDERED)) and (
            same_type(left, right) or {left.name, right.name} == {"int", "uint"}
        ):
            return BOOL
        raise no_overload(left_node, symbol, left, right)

    def _arith(self, node: Tree, ops: dict[str, str]) -> T:
        parts = self._trees(node)
        if len(parts) == 1:
            return self.check(parts[0])
        op_node, right_node = parts
        symbol = ops[str(op_node.data)]
        left_node = self._trees(op_node)[0]
        left, right = self.check(left_node), self.check(right_node)
        result = self._arith_type(symbol, left, right)
        if result is None:
            raise no_overload(left_node, symbol, left, right)
        return result

    @staticmethod
    def _arith_type(symbol: str, left: T, right: T) -> T | None:
        if left.name == "dyn" or right.name == "dyn":
            return left if right.name == "dyn" else right
        if symbol == "+":
            if left.name == right.name and left.name in NUMERIC | {"string", "bytes", "duration"}:
                return left
            if left.name == right.name == "list":
                return left if same_type(left, right) else None
            if {left.name, right.name} == {"timestamp", "duration"}:
                return TIMESTAMP
            return None
        if symbol == "-":
            if left.name == right.name and left.name in NUMERIC | {"duration"}:
                return left
            if left.name == "timestamp" and right.name == "timestamp":
                return DURATION
            if left.name == "timestamp" and right.name == "duration":
                return TIMESTAMP
            return None
        if symbol == "%":
            return left if left.name == right.name and left.name in {"int", "uint"} else None
        return left if left.name == right.name and left.name in NUMERIC else None

    def r_addition(self, node: Tree) -> T:
        return self._arith(node, {"addition_add": "+", "addition_sub": "-"})

    def r_multiplication(self, node: Tree) -> T:
        return self._arith(
            node,
            {"multiplication_mul": "*", "multiplication_div": "/", "multiplication_mod": "%"},
        )

    def r_unary(self, node: Tree) -> T:
        parts = self._trees(node)
        if len(parts) == 1:
            return self.check(parts[0])
        op, operand_node = parts
        operand = self.check(operand_node)
        if op.data == "unary_not":
            if not is_a(operand, "bool"):
                raise type_error(
                    operand_node,
                    lazy_format(_("'!' needs true or false, not %(operand)s"), operand=operand),
                )
            return BOOL
        if not is_a(operand, "int", "double", "duration"):
            raise type_error(
                operand_node, lazy_format(_("'-' needs a number, not %(operand)s"), operand=operand)
            )
        return operand

    def r_member(self, node: Tree) -> T:
        return self._single(node)

    def r_primary(self, node: Tree) -> T:
        return self._single(node)

    def r_paren_expr(self, node: Tree) -> T:
        return self._single(node)

    def _field(self, base: T, name: Token, where: str) -> T:
        if base.name == "dyn":
            return DYN
        if base.name == "map":
            return base.elem or DYN
        if base.name == "object":
            if name in base.fields:
                return base.fields[name]
            known = ", ".join(sorted(base.fields))
            raise type_error(
                name,
                lazy_format(
                    _("%(where)s has no field %(name)s (it has: %(known)s)"),
                    where=where,
                    name=repr(str(name)),
                    known=known,
                ),
            )
        raise type_error(
            name, lazy_format(_("%(base)s has no fields (.%(name)s)"), base=base, name=name)
        )

    def r_member_dot(self, node: Tree) -> T:
        base_node, name = node.children
        assert isinstance(base_node, Tree) and isinstance(name, Token)
        base = self.check(base_node)
        return self._field(base, name, str(base))

    def r_member_index(self, node: Tree) -> T:
        base_node, index_node = self._trees(node)
        base, index = self.check(base_node), self.check(index_node)
        if base.name == "dyn":
            return DYN
        if base.name == "list":
            if not is_a(index, "int", "uint"):
                raise type_error(
                    index_node,
                    lazy_format(
                        _("a list index must be a whole number, not %(index)s"), index=index
                    ),
                )
            return base.elem or DYN
        if base.name in {"map", "object"}:
            if not is_a(index, "string"):
                raise type_error(
                    index_node,
                    lazy_format(
                        _("a key of %(base)s must be a string, not %(index)s"),
                        base=base,
                        index=index,
                    ),
                )
            return (base.elem or DYN) if base.name == "map" else DYN
        raise type_error(index_node, lazy_format(_("%(base)s cannot be indexed"), base=base))

    def _args(self, node: Tree) -> list[Tree]:
        lists = [c for c in node.children if isinstance(c, Tree) and c.data == "exprlist"]
        return self._trees(lists[0]) if lists else []

    def _macro_var(self, arg: Tree) -> str:
        """The loop variable of a macro: the first argument must be a bare name."""
        idents = [t for t in arg.iter_subtrees() if t.data == "ident"]
        tokens = list(arg.scan_values(lambda v: isinstance(v, Token)))
        if len(idents) != 1 or len(tokens) != 1:
            raise type_error(arg, _("the first argument of a macro must be a variable name"))
        return str(tokens[0])

    def r_member_dot_arg(self, node: Tree) -> T:
        base_node = node.children[0]
        name = node.children[1]
        assert isinstance(base_node, Tree) and isinstance(name, Token)
        base = self.check(base_node)
        args = self._args(node)
        method = str(name)
        if method in MACROS:
            return self._macro(base, name, args)
        if method == "size" and not args:
            if not is_a(base, "string", "bytes", "list", "map", "object"):
                raise type_error(name, lazy_format(_("%(base)s has no size()"), base=base))
            return INT
        if method in STRING_METHODS and len(args) == 1:
            if not is_a(base, "string"):
                raise type_error(
                    name,
                    lazy_format(
                        _("%(method)s() is a method of strings, not %(base)s"),
                        method=method,
                        base=base,
                    ),
                )
            given = self.check(args[0])
            if not is_a(given, "string"):
                raise type_error(
                    args[0],
                    lazy_format(
                        _("%(method)s() needs a string, not %(given)s"), method=method, given=given
                    ),
                )
            return BOOL
        if method in TIME_GETTERS and len(args) <= 1:
            if not is_a(base, "timestamp"):
                raise type_error(
                    name,
                    lazy_format(
                        _("%(method)s() is a method of timestamps, not %(base)s"),
                        method=method,
                        base=base,
                    ),
                )
            for arg in args:
                if not is_a(self.check(arg), "string"):
                    raise type_error(
                        arg, lazy_format(_("%(method)s() takes a time zone name"), method=method)
                    )
            return INT
        if base.name == "dyn":
            for arg in args:
                self.check(arg)
            return DYN
        raise type_error(
            name,
            lazy_format(_("unknown method %(method)s() on %(base)s"), method=method, base=base),
        )

    def _macro(self, base: T, name: Token, args: list[Tree]) -> T:
        method = str(name)
        if len(args) != 2:
            raise type_error(
                name,
                lazy_format(_("%(method)s() takes a variable and an expression"), method=method),
            )
        if base.name == "list":
            item = base.elem or DYN
        elif base.name in {"map", "object"}:
            item = STRING
        elif base.name == "dyn":
            item = DYN
        else:
            raise type_error(
                name,
                lazy_format(
                    _("%(method)s() needs a list or a map, not %(base)s"), method=method, base=base
                ),
            )
        self.scopes.append({self._macro_var(args[0]): item})
        try:
            body = self.check(args[1])
        finally:
            self.scopes.pop()
        if method == "map":
            return list_of(body)
        if not is_a(body, "bool"):
            raise type_error(
                args[1],
                lazy_format(
                    _("the test of %(method)s() must be true or false, not %(body)s"),
                    method=method,
                    body=body,
                ),
            )
        return list_of(item) if method == "filter" else BOOL

    def r_ident(self, node: Tree) -> T:
        token = node.children[0]
        assert isinstance(token, Token)
        found = self.lookup(str(token))
        if found is None:
            known = ", ".join(sorted(self.scopes[0]))
            raise type_error(
                token,
                lazy_format(
                    _("unknown variable %(token)s (this rule has: %(known)s)"),
                    token=repr(str(token)),
                    known=known,
                ),
            )
        return found

    def r_dot_ident(self, node: Tree) -> T:
        return self.r_ident(node)

    def r_ident_arg(self, node: Tree) -> T:
        name = node.children[0]
        assert isinstance(name, Token)
        function = str(name)
        args = self._args(node)
        if function == "has":
            if len(args) != 1:
                raise type_error(name, _("has() takes one field, as in has(event.data.x)"))
            selects = [t for t in args[0].iter_subtrees_topdown() if t.data == "member_dot"]
            if not selects:
                raise type_error(args[0], _("has() takes a field, as in has(event.data.x)"))
            self.check(args[0])
            return BOOL
        if function == "size" and len(args) == 1:
            given = self.check(args[0])
            if not is_a(given, "string", "bytes", "list", "map", "object"):
                raise type_error(
                    args[0],
                    lazy_format(
                        _("size() needs a string, list or map, not %(given)s"), given=given
                    ),
                )
            return INT
        if function == "matches" and len(args) == 2:
            for arg in args:
                if not is_a(self.check(arg), "string"):
                    raise type_error(arg, _("matches() takes two strings"))
            return BOOL
        if function in CONVERSIONS and len(args) == 1:
            self.check(args[0])
            return CONVERSIONS[function]
        raise type_error(name, lazy_format(_("unknown function %(function)s()"), function=function))

    def r_dot_ident_arg(self, node: Tree) -> T:
        return self.r_ident_arg(node)

    def r_list_lit(self, node: Tree) -> T:
        items = [self.check(a) for a in self._args(node)]
        if not items:
            return list_of(DYN)
        first = items[0]
        return list_of(first if all(same_type(first, i) for i in items) else DYN)

    def r_map_lit(self, node: Tree) -> T:
        inits = [c for c in node.children if isinstance(c, Tree) and c.data == "mapinits"]
        values: list[T] = []
        if inits:
            parts = self._trees(inits[0])
            for key_node, value_node in zip(parts[::2], parts[1::2], strict=True):
                self.check(key_node)
                values.append(self.check(value_node))
        elem = values[0] if values and all(same_type(values[0], v) for v in values) else DYN
        return T("map", elem=elem)

    def r_literal(self, node: Tree) -> T:
        token = node.children[0]
        assert isinstance(token, Token)
        return {
            "INT_LIT": INT,
            "UINT_LIT": UINT,
            "FLOAT_LIT": DOUBLE,
            "STRING_LIT": STRING,
            "MLSTRING_LIT": STRING,
            "BYTES_LIT": BYTES,
            "BOOL_LIT": BOOL,
            "NULL_LIT": NULL,
        }.get(str(token.type), DYN)


def type_check(tree: Any, variables: Mapping[str, T]) -> CelTypeError | None:
    """None if the parsed condition is well typed and yields true or false."""
    checker = Checker(variables)
    try:
        result = checker.check(tree)
    except CelTypeError as error:
        return error
    if not is_a(result, "bool"):
        line, column = position(tree)
        return CelTypeError(
            f"a condition must be true or false, not {result}", line=line, column=column
        )
    return None
