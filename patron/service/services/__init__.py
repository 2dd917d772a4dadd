"""Writes of the service desk, each one transaction, one module a room."""

from patron.service.services.attachments import (
    Upload,
    attachments_add,
    uploads_check,
)
from patron.service.services.automated import (
    automated_note,
    automated_reply,
)
from patron.service.services.calls import (
    CallDirection,
    CallOutcome,
    call_log,
)
from patron.service.services.chat import (
    chat_member_writes,
    chat_ticket_current,
)
from patron.service.services.compensation import (
    agent_budget,
    compensation_approve,
    compensation_grant,
    compensation_reject,
    grant_limit,
    team_budget,
)
from patron.service.services.conversation import (
    REOPEN_WITHIN,
    agent_note,
    agent_reply,
    member_writes,
    reply_sender_register,
    ticket_status_set,
)
from patron.service.services.intake import (
    Received,
    first_responder_register,
    social_message_receive,
)
from patron.service.services.macros import (
    macro_apply,
    macro_save,
)
from patron.service.services.order_changes import (
    order_change_answer,
    order_change_request,
)
from patron.service.services.returns import (
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
from patron.service.services.routing import (
    team_for,
    ticket_reassign,
    ticket_route,
)
from patron.service.services.sla import (
    hours_of,
    policy_match,
    sla_policies_default,
    sla_recalculate,
    sla_scan,
    sla_tier_changed,
    sla_update,
)
from patron.service.services.tickets import (
    contact_get_or_create,
    ticket_number_next,
    ticket_open,
)
from patron.service.services.work import (
    tags_clean,
    ticket_assign,
    ticket_fields_set,
    ticket_merge,
    working_agent,
)

__all__ = [
    "REOPEN_WITHIN",
    "CallDirection",
    "CallOutcome",
    "Received",
    "ReturnLineInput",
    "Upload",
    "agent_budget",
    "agent_note",
    "agent_reply",
    "attachments_add",
    "automated_note",
    "automated_reply",
    "call_log",
    "chat_member_writes",
    "chat_ticket_current",
    "compensation_approve",
    "compensation_grant",
    "compensation_reject",
    "contact_get_or_create",
    "first_responder_register",
    "grant_limit",
    "hours_of",
    "macro_apply",
    "macro_save",
    "member_writes",
    "order_change_answer",
    "order_change_request",
    "policy_match",
    "reply_sender_register",
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
    "sla_policies_default",
    "sla_recalculate",
    "sla_scan",
    "sla_tier_changed",
    "sla_update",
    "social_message_receive",
    "tags_clean",
    "team_budget",
    "team_for",
    "ticket_assign",
    "ticket_fields_set",
    "ticket_merge",
    "ticket_number_next",
    "ticket_open",
    "ticket_reassign",
    "ticket_route",
    "ticket_status_set",
    "uploads_check",
    "working_agent",
]
