"""Operator-written templates: checked when saved, rendered in a sandbox.

Templates are Jinja2, rendered by its ``SandboxedEnvironment`` (HTML with
autoescape on). The sandbox alone would still let an operator loop, call
methods or build macros; so the parsed tree is checked against a short list
of what a message needs: text, variables the kind declares (and attributes
of them), ``if``/``elif``/``else`` over comparisons with ``and``/``or``/
``not``, and the ``default`` filter. Everything else is refused with its line.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext_lazy as _
from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from patron.core.errors import Text, lazy_format, validation_error
from patron.messaging.kinds import COMMON_ATTRIBUTES, MessageKind

TEMPLATE_FIELDS = ("subject", "body_text", "body_html")

_text_env = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
_html_env = SandboxedEnvironment(autoescape=True, keep_trailing_newline=True)

# Nodes that only hold structure or values already checked by their parent.
_PLAIN = (
    nodes.Template,
    nodes.Output,
    nodes.TemplateData,
    nodes.Const,
    nodes.If,
    nodes.Compare,
    nodes.Operand,
    nodes.And,
    nodes.Or,
    nodes.Not,
)


class TemplateProblem(Exception):
    def __init__(self, message: Text, line: int | None) -> None:
        super().__init__(str(message))
        self.message = message
        self.line = line


def _refuse(node: nodes.Node, message: Text) -> TemplateProblem:
    return TemplateProblem(message, getattr(node, "lineno", None))


def _check(node: nodes.Node, variables: Mapping[str, str]) -> None:
    if isinstance(node, nodes.Name):
        if node.ctx != "load" or node.name not in variables:
            raise _refuse(
                node,
                lazy_format(
                    _("unknown variable %(name)s (known: %(known)s)"),
                    name=node.name,
                    known=", ".join(sorted(variables)),
                ),
            )
        return
    if isinstance(node, nodes.Getattr):
        target = node.node
        if not isinstance(target, nodes.Name):
            raise _refuse(node, _("only one level of attribute access is allowed"))
        _check(target, variables)
        allowed = COMMON_ATTRIBUTES.get(target.name)
        if node.attr.startswith("_") or (allowed is not None and node.attr not in allowed):
            raise _refuse(
                node,
                lazy_format(
                    _("unknown attribute %(name)s.%(attr)s"), name=target.name, attr=node.attr
                ),
            )
        return
    if isinstance(node, nodes.Filter):
        if node.name != "default" or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise _refuse(
                node,
                lazy_format(_("filter %(name)s is not allowed (only default)"), name=node.name),
            )
        if node.node is not None:
            _check(node.node, variables)
        for arg in node.args:
            if not isinstance(arg, nodes.Const):
                raise _refuse(node, _("the default filter takes a plain value"))
        return
    if not isinstance(node, _PLAIN):
        what = type(node).__name__.lower()
        raise _refuse(
            node,
            lazy_format(
                _("%(what)s is not allowed: only text, variables and if/elif/else"), what=what
            ),
        )
    for child in node.iter_child_nodes():
        _check(child, variables)


def check_source(source: str, variables: Mapping[str, str]) -> None:
    """Raise :class:`TemplateProblem` if ``source`` is not a template an operator may save."""
    try:
        tree = _text_env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(
            lazy_format(_("syntax error: %(message)s"), message=exc.message or ""), exc.lineno
        ) from None
    _check(tree, variables)


def template_fields_check(kind: MessageKind, fields: Mapping[str, str]) -> None:
    """Check each template field; the first bad one raises a validation error
    naming the field, the line and the problem."""
    variables = kind.all_variables()
    for name in TEMPLATE_FIELDS:
        source = fields.get(name) or ""
        try:
            check_source(source, variables)
        except TemplateProblem as problem:
            if problem.line is not None:
                message: Text = lazy_format(
                    _("line %(line)s: %(problem)s"), line=problem.line, problem=problem.message
                )
            else:
                message = problem.message
            raise validation_error(name, message) from None


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Any:
    return (_html_env if html else _text_env).from_string(source)


def render(source: str, context: Mapping[str, Any], *, html: bool = False) -> str:
    """``source`` (already checked when saved) rendered with ``context``."""
    if not source:
        return ""
    return str(_compiled(source, html).render(context))
