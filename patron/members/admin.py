from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from patron.core import clock
from patron.core.admin import AuditedModelAdmin, PiiGuardedAdmin
from patron.core.pii import normalize_phone
from patron.members import services
from patron.members.models import Member


class MemberAdminForm(forms.ModelForm):
    """Operators get the same phone rules as the API (E.164, mainland mobiles only)."""

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        if not raw:
            return ""
        try:
            return normalize_phone(raw)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages[0]) from None


@admin.register(Member)
class MemberAdmin(PiiGuardedAdmin, AuditedModelAdmin):
    form = MemberAdminForm
    list_display = ["external_id", "name", "masked_phone", "masked_email", "registered_at", "shop"]
    list_filter = ["shop", "registration_channel", "language"]
    search_fields = ["external_id", "name"]
    readonly_fields = ["created_at", "updated_at", "profile_completed_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # The shop's key for the member and the shop itself: changing
            # either cuts the member off from the shop's events and API calls
            # (the shop still sends the old id), so no role edits them here.
            fields += ["shop", "external_id"]
        return fields

    def get_exclude(self, request: HttpRequest, obj: Member | None = None) -> list[str]:
        if request.user.has_perm("members.view_member_pii"):
            return []
        return list(Member.PII_FIELDS)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # created_at / updated_at are read-only here and have no model default.
        now = clock.now()
        if not change:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)
        # What creating a member or completing a profile earns, as on every
        # other path (the admin view's transaction holds both writes).
        services.member_milestones_record(member=obj, created=not change)
