from django.contrib import admin

from patron.orders.models import Order, OrderLine, OrderStatusChange


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in OrderLine._meta.fields]


class StatusInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "event_id", "note"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders mirror the shop: read-only here."""

    list_display = ["external_id", "member", "status", "paid_amount", "refunded_amount", "paid_at"]
    list_filter = ["status", "shop"]
    search_fields = ["external_id", "member__external_id"]
    inlines = [OrderLineInline, StatusInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
