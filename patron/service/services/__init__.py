"""Writes of the service desk, each one transaction, one module a room."""

from patron.service.services.conversation import (
    REOPEN_WITHIN,
    agent_note,
    agent_reply,
    member_writes,
    reply_sender_register,
    ticket_status_set,
)
from patron.service.services.routing import team_for, ticket_reassign, ticket_route
from patron.service.services.tickets import (
    contact_get_or_create,
    ticket_number_next,
    ticket_open,
)

__all__ = [
    "REOPEN_WITHIN",
    "agent_note",
    "agent_reply",
    "contact_get_or_create",
    "member_writes",
    "reply_sender_register",
    "team_for",
    "ticket_number_next",
    "ticket_open",
    "ticket_reassign",
    "ticket_route",
    "ticket_status_set",
]

__all__ += ["chat_member_writes", "chat_ticket_current"]

from patron.service.services.chat import chat_member_writes, chat_ticket_current  # noqa: E402
from patron.service.services.sla import (  # noqa: E402
    hours_of,
    policy_match,
    sla_policies_default,
    sla_recalculate,
    sla_scan,
    sla_tier_changed,
    sla_update,
)

__all__ += [
    "hours_of",
    "policy_match",
    "sla_policies_default",
    "sla_recalculate",
    "sla_scan",
    "sla_tier_changed",
    "sla_update",
]
from patron.service.services.returns import (  # noqa: E402
    ReturnLineInput,
    return_approve,
    return_close,
    return_goods_sent,
    return_receive,
    return_refund_recorded,
    return_refund_request,
    return_refuse,
    return_replacement_ship,
    return_request,
    return_settings,
    return_settings_save,
    returnable_quantities,
)

__all__ += [
    "ReturnLineInput",
    "return_approve",
    "return_close",
    "return_goods_sent",
    "return_receive",
    "return_refund_recorded",
    "return_refund_request",
    "return_refuse",
    "return_replacement_ship",
    "return_request",
    "return_settings",
    "return_settings_save",
    "returnable_quantities",
]

from patron.service.services.compensation import (  # noqa: E402
    agent_budget,
    compensation_approve,
    compensation_grant,
    compensation_reject,
    grant_limit,
    team_budget,
)

__all__ += [
    "agent_budget",
    "compensation_approve",
    "compensation_grant",
    "compensation_reject",
    "grant_limit",
    "team_budget",
]

from patron.service.services.order_changes import (  # noqa: E402
    order_change_answer,
    order_change_request,
)

__all__ += ["order_change_answer", "order_change_request"]
