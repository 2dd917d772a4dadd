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

from patron.service.services.attachments import (
    Upload,
    attachments_add,
    uploads_check,
)
from patron.service.services.calls import CallDirection, CallOutcome, call_log
from patron.service.services.intake import Received, social_message_receive
from patron.service.services.macros import macro_apply, macro_save
from patron.service.services.work import (
    tags_clean,
    ticket_assign,
    ticket_fields_set,
    ticket_merge,
    working_agent,
)

__all__ += [
    "CallDirection",
    "CallOutcome",
    "Received",
    "Upload",
    "attachments_add",
    "call_log",
    "macro_apply",
    "macro_save",
    "social_message_receive",
    "tags_clean",
    "ticket_assign",
    "ticket_fields_set",
    "ticket_merge",
    "uploads_check",
    "working_agent",
]
