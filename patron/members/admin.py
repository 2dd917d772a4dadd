from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from patron.core.admin import AuditedModelAdmin
from patron.members.models import Member


@admin.register(Member)
class MemberAdmin(AuditedModelAdmin):
    list_display = ["external_id", "name", "masked_phone", "masked_email", "registered_at", "shop"]
    list_filter = ["shop", "registration_channel", "language"]
    search_fields = ["external_id", "name"]
    readonly_fields = ["created_at", "updated_at"]

    def get_exclude(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        if request.user.has_perm("members.view_member_pii"):
            return []
        return ["phone", "email"]
