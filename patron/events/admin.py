from django.contrib import admin

from patron.events.models import Event


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["external_id", "type", "member_external_id", "occurred_at", "received_at"]
    list_filter = ["type", "shop"]
    search_fields = ["external_id", "member_external_id"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
