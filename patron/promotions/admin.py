from __future__ import annotations

import dataclasses
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from patron.core.admin import AuditedModelAdmin, ReadOnlyAdmin, confirm_action, refused
from patron.core.errors import PatronError
from patron.promotions import services
from patron.promotions.models import (
    CheckoutHold,
    CheckoutHoldLine,
    Coupon,
    CouponTemplate,
    FlashSale,
)

SPEC_FIELDS = [f.name for f in dataclasses.fields(services.TemplateSpec)]


class CouponTemplateForm(forms.ModelForm):
    """Checks a template with the promotions service's own validation."""

    class Meta:
        model = CouponTemplate
        fields = ["shop", *(f.name for f in dataclasses.fields(services.TemplateSpec))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        spec = {name: data[name] for name in SPEC_FIELDS if name in data}
        try:
            services.template_validate(services.TemplateSpec(**spec))
        except PatronError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.detail)
        return data


@admin.register(CouponTemplate)
class CouponTemplateAdmin(AuditedModelAdmin):
    form = CouponTemplateForm
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
    readonly_fields = ["issued_count", "used_count", "budget_used", "public_code", "created_at"]
    actions = ["assign_public_code"]
    fieldsets = [
        (None, {"fields": ["shop", "code", "name", "description", "active", "created_at"]}),
        (_("Benefit"), {"fields": ["type", "amount", "percent", "max_discount"]}),
        (
            _("Condition and range"),
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
        (_("Validity"), {"fields": ["validity_kind", "valid_from", "valid_until", "valid_days"]}),
        (
            _("Limits and budget"),
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
        (_("Stacking"), {"fields": ["stacking_group", "exclusive"]}),
        (_("Issue channels"), {"fields": ["claimable", "public_code"]}),
    ]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            # Left empty, a new template takes its type's group (the service decides).
            group = form.base_fields["stacking_group"]
            group.required = False
            group.initial = ""
            group.help_text = _(
                "empty: the type's default ('shipping' for free shipping, else 'order')"
            )
        return form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = services.template_create(
            shop=data["shop"],
            actor=cast(User, request.user),
            spec=services.TemplateSpec(**{n: data[n] for n in SPEC_FIELDS if n in data}),
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def has_assign_public_code_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("promotions.assign_public_code"))

    @admin.action(
        description=_("Give the selected templates a new public code"),
        permissions=["assign_public_code"],
    )
    def assign_public_code(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="assign_public_code",
            question=gettext("Give these templates a new public code? The old codes stop working."),
        )
        if asked is not None:
            return asked
        for template in queryset:
            try:
                code = services.template_public_code_assign(
                    template=template, actor=cast(User, request.user)
                )
            except PatronError as error:
                refused(self, request, template.code, error)
                continue
            self.message_user(
                request,
                gettext("%(template)s: new public code %(code)s")
                % {"template": template.code, "code": code},
                messages.SUCCESS,
            )
        return None


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

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("promotions.revoke_coupon"))

    @admin.action(description=_("Revoke the selected unused coupons"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="revoke",
            question=gettext("Revoke these coupons? Members can no longer use them."),
        )
        if asked is not None:
            return asked
        done = 0
        for coupon in queryset:
            try:
                done += services.coupon_revoke(coupon=coupon, actor=cast(User, request.user))
            except PatronError as error:
                refused(self, request, coupon.code, error)
        self.message_user(
            request,
            ngettext("%(count)d coupon revoked", "%(count)d coupons revoked", done)
            % {"count": done},
            messages.SUCCESS,
        )
        return None

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
