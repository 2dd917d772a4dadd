"""The assistant in the admin, read-only: entries are edited in the console
(patron.console.views.assistant), where each edit is audited and checked
like the FAQ file; the questions asked are a log."""

from __future__ import annotations

from django.contrib import admin

from patron.assistant.models import Asked, Entry, Phrasing
from patron.core.admin import ReadOnlyAdmin


class PhrasingInline(admin.TabularInline):
    model = Phrasing
    fields = ["language", "text", "source", "created_at"]
    readonly_fields = ["language", "text", "source", "created_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ["key", "category", "state", "question_zh", "question_en", "updated_at"]
    list_filter = ["state", "category"]
    search_fields = ["key", "question_zh", "question_en"]
    inlines = [PhrasingInline]


@admin.register(Asked)
class AskedAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "channel", "language", "outcome", "text", "confidence", "helpful"]
    list_filter = ["outcome", "channel", "language", "helpful"]
    search_fields = ["text"]
    raw_id_fields = ["member", "entry", "resolved_entry", "ticket"]
