"""Messaging in the admin: settings and trigger switches edited (audited); the
delivery log, templates, preferences and the consent trail read-only (written
by the services, which check templates and record consent sources)."""

from __future__ import annotations

from django.contrib import admin

from patron.core.admin import AuditedModelAdmin, PiiGuardedAdmin, ReadOnlyAdmin
from patron.messaging.models import (
    ConsentChange,
    KindSwitch,
    Message,
    MessagingSettings,
    Preference,
    Template,
    UnusableAddress,
)


@admin.register(MessagingSettings)
class MessagingSettingsAdmin(AuditedModelAdmin):
    list_display = [
        "shop",
        "time_zone",
        "quiet_start",
        "quiet_end",
        "marketing_daily_cap",
        "marketing_weekly_cap",
    ]


@admin.register(KindSwitch)
class KindSwitchAdmin(AuditedModelAdmin):
    list_display = ["shop", "kind", "enabled", "updated_at"]
    list_filter = ["shop", "enabled"]


@admin.register(Template)
class TemplateAdmin(ReadOnlyAdmin):
    list_display = ["shop", "kind", "channel", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["shop", "channel", "language"]
    search_fields = ["kind", "subject"]


@admin.register(Message)
class MessageAdmin(PiiGuardedAdmin, ReadOnlyAdmin):
    list_display = [
        "id",
        "member",
        "kind",
        "channel",
        "category",
        "state",
        "reason",
        "attempts",
        "created_at",
        "sent_at",
    ]
    list_filter = ["shop", "channel", "category", "state", "reason"]
    search_fields = ["member__external_id", "kind", "cause"]
    list_select_related = ["member"]
    exclude = ["claim", "claimed_until"]


@admin.register(Preference)
class PreferenceAdmin(ReadOnlyAdmin):
    list_display = ["member", "channel", "category", "granted", "updated_at"]
    list_filter = ["channel", "category", "granted"]
    search_fields = ["member__external_id"]
    list_select_related = ["member"]


@admin.register(ConsentChange)
class ConsentChangeAdmin(ReadOnlyAdmin):
    list_display = ["member", "channel", "category", "granted", "source", "actor", "at"]
    list_filter = ["channel", "category", "granted", "source"]
    search_fields = ["member__external_id"]
    list_select_related = ["member"]


@admin.register(UnusableAddress)
class UnusableAddressAdmin(PiiGuardedAdmin, ReadOnlyAdmin):
    list_display = ["shop", "channel", "address", "reason", "at"]
    list_filter = ["shop", "channel"]
