"""Writes of the service desk, each one transaction, one module a room."""

from patron.service.services.conversation import (
    REOPEN_WITHIN,
    agent_note,
    agent_reply,
    member_writes,
    reply_sender_register,
    ticket_status_set,
)
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
    "ticket_number_next",
    "ticket_open",
    "ticket_status_set",
]
from patron.service.services.sla import (
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
