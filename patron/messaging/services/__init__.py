"""Every write on messaging. Other apps call what is named here."""

from patron.messaging.services.consent import (
    member_consents_write,
    preferences_import,
    preferences_set,
    sms_reply_receive,
    unsubscribe_by_token,
)
from patron.messaging.services.dispatch import messages_dispatch
from patron.messaging.services.inbox import inbox_delete, inbox_mark_read
from patron.messaging.services.notify import member_notify, members_notify
from patron.messaging.services.outbox import (
    message_send,
    message_send_to_address,
    messages_send_bulk,
)
from patron.messaging.services.settings import kind_switch_set, messaging_settings_save
from patron.messaging.services.templates import Rendered, template_preview, template_save

__all__ = [
    "Rendered",
    "inbox_delete",
    "inbox_mark_read",
    "kind_switch_set",
    "member_consents_write",
    "member_notify",
    "members_notify",
    "message_send",
    "message_send_to_address",
    "messages_dispatch",
    "messages_send_bulk",
    "messaging_settings_save",
    "preferences_import",
    "preferences_set",
    "sms_reply_receive",
    "template_preview",
    "template_save",
    "unsubscribe_by_token",
]
