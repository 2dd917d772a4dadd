"""Macros: saved with their template checked, applied as one transaction
(the reply or note, then the actions).

The body is rendered by messaging's sandboxed templating with the same
limits as message templates (variables, one level of attributes, ``if``,
the ``default`` filter); the context holds plain values only."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from jinja2 import nodes
from jinja2.sandbox import SandboxedEnvironment

from patron.core import clock
from patron.core.errors import Text, lazy_format, validation_error
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.messaging.templating import TemplateProblem, check_source, render
from patron.service.models import (
    AgentProfile,
    Macro,
    Ticket,
    TicketEntry,
    TicketPriority,
    TicketStatus,
    TicketTopic,
)
from patron.service.services.conversation import agent_note, agent_reply, ticket_status_set
from patron.service.services.tickets import BODY_MAX, _text
from patron.service.services.work import (
    _open_check,
    tag_clean,
    ticket_fields_set,
    work_check,
)

Actor = User | AnonymousUser | None

#: variable -> the attributes a macro may read on it
VARIABLES: dict[str, frozenset[str]] = {
    "member": frozenset({"name", "external_id", "tier"}),
    "ticket": frozenset({"number", "reference", "subject"}),
    "agent": frozenset({"name"}),
    "shop": frozenset({"name"}),
}
ACTIONS = ("set_topic", "add_tag", "set_status", "set_priority")
ACTIONS_MAX = 10
_parser = SandboxedEnvironment()


def _body_check(body: str) -> None:
    try:
        check_source(body, {name: name for name in VARIABLES})
        for node in _parser.parse(body).find_all(nodes.Getattr):
            target = node.node
            if isinstance(target, nodes.Name) and node.attr not in VARIABLES[target.name]:
                raise TemplateProblem(
                    lazy_format(
                        _("unknown attribute %(name)s.%(attr)s"), name=target.name, attr=node.attr
                    ),
                    node.lineno,
                )
    except TemplateProblem as problem:
        message: Text = problem.message
        if problem.line is not None:
            message = lazy_format(
                _("line %(line)s: %(problem)s"), line=problem.line, problem=problem.message
            )
        raise validation_error("body", message) from None


def actions_clean(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list) or len(value) > ACTIONS_MAX:
        raise validation_error(
            "actions", lazy_format(_("a list of at most %(limit)d actions"), limit=ACTIONS_MAX)
        )
    cleaned = []
    for i, item in enumerate(value):
        where = f"actions[{i}]"
        name = item.get("action") if isinstance(item, dict) else None
        raw = item.get("value") if isinstance(item, dict) else None
        if name not in ACTIONS:
            raise validation_error(
                f"{where}.action",
                lazy_format(_("must be one of %(known)s"), known=", ".join(ACTIONS)),
            )
        known: list[str] | None = {
            "set_topic": list(TicketTopic.values),
            "set_priority": list(TicketPriority.values),
            "set_status": [s for s in TicketStatus.values if s != TicketStatus.NEW],
        }.get(name)
        if name == "add_tag":
            value_clean = tag_clean(raw, f"{where}.value")
        elif raw not in (known or []):
            raise validation_error(
                f"{where}.value",
                lazy_format(_("must be one of %(known)s"), known=", ".join(known or [])),
            )
        else:
            value_clean = raw
        cleaned.append({"action": name, "value": value_clean})
    return cleaned


@transaction.atomic
def macro_save(
    *,
    shop: Shop,
    name: str,
    body: str,
    public: bool = True,
    actions: Any = (),
    macro: Macro | None = None,
    actor: Actor = None,
) -> Macro:
    """Create (or, with ``macro``, change) a macro; the template and every
    action are checked, and a bad one is named and nothing saved."""
    name = _text("name", name, limit=100)
    body = _text("body", body, limit=BODY_MAX, required=False)
    _body_check(body)
    cleaned = actions_clean(list(actions))
    if not body and not cleaned:
        raise validation_error("body", _("a macro needs a text or an action"))
    clash = Macro.objects.filter(shop=shop, name=name)
    if macro is not None:
        clash = clash.exclude(pk=macro.pk)
    if clash.exists():
        raise validation_error("name", _("a macro of this name exists"))
    now = clock.now()
    if macro is None:
        macro = Macro(shop=shop, created_at=now)
    macro.name, macro.body, macro.public, macro.actions = name, body, public, cleaned
    macro.updated_at = now
    macro.save()
    audit_record(actor=actor, action="service.macro_save", obj=macro, after={"name": name})
    return macro


def macro_context(ticket: Ticket, agent: AgentProfile) -> dict[str, Any]:
    member: dict[str, Any] = {"name": "", "external_id": "", "tier": ""}
    if ticket.member is not None:
        from patron.tiers import selectors as tier_selectors

        benefits = tier_selectors.member_benefits(ticket.member)
        member = {
            "name": ticket.member.name,
            "external_id": ticket.member.external_id,
            "tier": benefits.tier_name if benefits is not None else "",
        }
    elif ticket.contact is not None:
        member["name"] = ticket.contact.name
    return {
        "member": member,
        "ticket": {
            "number": ticket.number,
            "reference": ticket.reference,
            "subject": ticket.subject,
        },
        "agent": {"name": agent.display_name},
        "shop": {"name": ticket.shop.name},
    }


def macro_render(macro: Macro, ticket: Ticket, agent: AgentProfile) -> str:
    return render(macro.body, macro_context(ticket, agent)).strip()


@transaction.atomic
def macro_apply(
    *, macro: Macro, ticket: Ticket, agent: AgentProfile, actor: Actor = None
) -> TicketEntry | None:
    """The macro's reply (or note) on ``ticket`` and its actions, all or none.
    Returns the entry written (None for a macro of actions only)."""
    if macro.shop_id != ticket.shop_id or not macro.active:
        raise validation_error("macro", _("no such macro"))
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("member", "contact", "shop")
        .get(pk=ticket.pk)
    )
    work_check(ticket, agent)
    _open_check(ticket)
    text = macro_render(macro, ticket, agent)
    entry = None
    if text:
        if macro.public:
            entry = agent_reply(ticket=ticket, agent=agent, body=text, actor=actor)
        else:
            entry = agent_note(ticket=ticket, agent=agent, body=text)
    ticket.refresh_from_db()
    fields: dict[str, Any] = {}
    status = None
    for action in macro.actions:
        name, value = action["action"], action["value"]
        if name == "set_topic":
            fields["topic"] = value
        elif name == "set_priority":
            fields["priority"] = value
        elif name == "add_tag":
            fields["tags"] = [*fields.get("tags", ticket.tags), value]
        elif name == "set_status":
            status = value
    if fields:
        ticket = ticket_fields_set(ticket=ticket, agent=agent, actor=actor, **fields)
    if status is not None:
        ticket_status_set(ticket=ticket, status=status, agent=agent, actor=actor)
    audit_record(
        actor=actor,
        action="service.macro_apply",
        obj=ticket,
        after={"macro": macro.pk, "entry": entry.pk if entry else None},
    )
    return entry
