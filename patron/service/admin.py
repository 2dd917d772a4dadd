from django.contrib import admin

from patron.core.admin import AuditedModelAdmin
from patron.service.models import AgentProfile, Team


@admin.register(Team)
class TeamAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "active"]
    list_filter = ["shop", "active"]


@admin.register(AgentProfile)
class AgentProfileAdmin(AuditedModelAdmin):
    list_display = ["display_name", "capacity", "online", "away_until"]
    list_filter = ["shop", "online"]


# Routing and the mail inboxes (services/routing.py, services/mail.py). An
# inbox's webhook token is made by ``mail_inbox_create`` and shown once.
import secrets  # noqa: E402
from typing import Any  # noqa: E402

from django.contrib import messages  # noqa: E402

from patron.core import clock  # noqa: E402
from patron.service.models import DedicatedAgent, MailInbox, RoutingRule, RoutingSettings  # noqa: E402
from patron.service.services.mail import mail_token_hash  # noqa: E402


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    list_display = ["position", "name", "channel", "topic", "tier_code", "min_tier_rank", "team"]
    list_filter = ["shop", "active"]


@admin.register(RoutingSettings)
class RoutingSettingsAdmin(AuditedModelAdmin):
    list_display = ["shop", "default_team"]


@admin.register(DedicatedAgent)
class DedicatedAgentAdmin(AuditedModelAdmin):
    list_display = ["member", "agent"]
    list_filter = ["shop"]
    raw_id_fields = ["member"]


@admin.register(MailInbox)
class MailInboxAdmin(AuditedModelAdmin):
    list_display = ["address", "shop", "active"]
    fields = ["shop", "address", "active"]

    def save_model(self, request: Any, obj: MailInbox, form: Any, change: bool) -> None:
        if not change:
            # The only time the token is seen: it is kept hashed.
            token = secrets.token_urlsafe(32)
            obj.token_sha256 = mail_token_hash(token)
            obj.created_at = clock.now()
            messages.warning(request, f"Authorization: Bearer {token}")
        super().save_model(request, obj, form, change)
