from typing import Any

from django.contrib import admin

from patron.core import clock
from patron.core.admin import AuditedModelAdmin
from patron.service.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarDay,
    SlaBreach,
    SlaPolicy,
    Team,
)
from patron.service.services.sla_bulk import sla_bulk


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

from django.contrib import messages  # noqa: E402

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


# --- SLAs (docs/service.md, "SLAs") -------------------------------------------
# Saving a calendar (with its days) or a policy recalculates the due times of
# the shop's open tickets, set-based.


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 1
    fields = ["date", "kind", "works_as", "note"]


class _RecalculatesSla(AuditedModelAdmin):
    def save_related(self, request: Any, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        sla_bulk(shop=form.instance.shop)


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(_RecalculatesSla):
    list_display = ["name", "team", "time_zone", "updated_at"]
    list_filter = ["shop"]
    exclude = ["updated_at"]
    inlines = [CalendarDayInline]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(_RecalculatesSla):
    list_display = [
        "position",
        "name",
        "tier",
        "priority",
        "channel",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "active",
    ]
    list_display_links = ["name"]
    list_filter = ["shop", "active"]
    ordering = ["shop", "position", "id"]


@admin.register(SlaBreach)
class SlaBreachAdmin(admin.ModelAdmin):
    list_display = ["ticket", "target", "due_at", "breached_at", "recorded_at"]
    list_filter = ["shop", "target"]
    readonly_fields = ["shop", "ticket", "target", "due_at", "breached_at", "recorded_at"]

    def has_add_permission(self, request: Any) -> bool:
        return False
