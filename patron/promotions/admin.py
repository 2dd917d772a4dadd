from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model
from django.http import HttpRequest

from patron.core.admin import AuditedModelAdmin
from patron.promotions import services
from patron.promotions.models import (
    CheckoutHold,
    CheckoutHoldLine,
    Coupon,
    CouponTemplate,
    FlashSale,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(CouponTemplate)
class CouponTemplateAdmin(AuditedModelAdmin):
    list_display = [
        "code",
        "name",
        "type",
        "amount",
        "percent",
        "threshold",
        "stacking_group",
        "exclusive",
        "issued_count",
        "used_count",
        "budget_used",
        "active",
    ]
    list_filter = ["shop", "type", "active", "claimable", "exclusive"]
    search_fields = ["code", "name", "public_code"]
    readonly_fields = ["issued_count", "used_count", "budget_used", "public_code"]
    actions = ["assign_public_code"]
    fieldsets = [
        (None, {"fields": ["shop", "code", "name", "description", "active", "created_at"]}),
        ("Benefit", {"fields": ["type", "amount", "percent", "max_discount"]}),
        (
            "Condition and range",
            {
                "fields": [
                    "threshold",
                    "repeating",
                    "skus",
                    "categories",
                    "tier_codes",
                    "new_members_only",
                ]
            },
        ),
        ("Validity", {"fields": ["validity_kind", "valid_from", "valid_until", "valid_days"]}),
        (
            "Limits and budget",
            {
                "fields": [
                    "per_member_limit",
                    "total_limit",
                    "issued_count",
                    "used_count",
                    "budget",
                    "budget_used",
                ]
            },
        ),
        ("Stacking", {"fields": ["stacking_group", "exclusive"]}),
        ("Issue channels", {"fields": ["claimable", "public_code"]}),
    ]

    @admin.action(description="Give the selected templates a new public code")
    def assign_public_code(self, request: HttpRequest, queryset: Any) -> None:
        for template in queryset:
            code = services.template_public_code_assign(template=template)
            self.message_user(request, f"{template.code}: {code}", messages.SUCCESS)


@admin.register(Coupon)
class CouponAdmin(ReadOnlyAdmin):
    """Issued coupons are changed only by claims, checkouts and revocation."""

    list_display = [
        "code",
        "template",
        "member",
        "status",
        "source",
        "valid_until",
        "used_order_id",
    ]
    list_filter = ["status", "source", "template__shop"]
    search_fields = ["code", "member__external_id", "used_order_id", "template__code"]
    list_select_related = ["template", "member"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected unused coupons")
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        done = sum(1 for c in queryset if services.coupon_revoke(coupon=c))
        self.message_user(request, f"{done} coupon(s) revoked", messages.SUCCESS)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class HoldLineInline(admin.TabularInline):
    model = CheckoutHoldLine
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in CheckoutHoldLine._meta.fields]


@admin.register(CheckoutHold)
class CheckoutHoldAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "member", "status", "total", "points", "expires_at"]
    list_filter = ["status", "shop"]
    search_fields = ["order_id", "member__external_id"]
    inlines = [HoldLineInline]


@admin.register(FlashSale)
class FlashSaleAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "template",
        "quantity",
        "claimed_count",
        "starts_at",
        "ends_at",
        "active",
    ]
    list_filter = ["shop", "active"]
    readonly_fields = ["claimed_count"]
