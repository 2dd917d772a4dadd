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
