from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.core.admin import (
    AuditedModelAdmin,
    ReadOnlyAdmin,
    ServiceAddAdmin,
    confirm_action,
    refused,
)
from patron.core.errors import PatronError
from patron.core.services import audit_record, snapshot
from patron.tiers.models import (
    MemberTier,
    OverrideStatus,
    Tier,
    TierBenefits,
    TierChange,
    TierGift,
    TierMigration,
    TierOverride,
    TierProgram,
    TierStats,
)
from patron.tiers.services import definitions, overrides


class TierForm(forms.ModelForm):
    class Meta:
        model = Tier
        fields = [
            "shop",
            "code",
            "name",
            "name_en",
            "rank",
            "entry_threshold",
            "retention_threshold",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        shop = data.get("shop")
        if shop is not None and not self.errors:
            candidate = Tier(
                pk=self.instance.pk,
                shop=shop,
                is_active=self.instance.is_active if self.instance.pk else True,
                **{k: data[k] for k in self.Meta.fields if k != "shop"},
            )
            others = list(Tier.objects.filter(shop=shop).exclude(pk=self.instance.pk))
            try:
                definitions.ladder_validate([*others, candidate])
            except PatronError as error:
                raise ValidationError({error.field or "__all__": error.detail}) from None
        return data


class TierBenefitsInline(admin.StackedInline):
    model = TierBenefits
    can_delete = False


@admin.register(Tier)
class TierAdmin(AuditedModelAdmin):
    form = TierForm
    list_display = [
        "code",
        "name",
        "name_en",
        "rank",
        "entry_threshold",
        "retention_threshold",
        "is_active",
        "shop",
    ]
    list_filter = ["shop", "is_active"]
    ordering = ["shop", "rank"]
    inlines = [TierBenefitsInline]
    actions = ["retire"]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # retire instead: history points at tiers

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Benefits edited in the inline are audited with their own before and
        after (the tier's audit row snapshots only the tier's fields)."""
        tier = form.instance
        previous = TierBenefits.objects.filter(tier=tier).first()
        before = snapshot(previous) if previous is not None else None
        super().save_related(request, form, formsets, change)
        current = TierBenefits.objects.filter(tier=tier).first()
        if current is None:
            return
        after = snapshot(current)
        if after != before:
            audit_record(
                actor=request.user,
                action=f"tierbenefits.{'change' if before is not None else 'create'}",
                obj=current,
                before=before,
                after=after,
            )

    def has_retire_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("tiers.retire_tier"))

    @admin.action(
        description=gettext_lazy("Retire selected tiers (members move one tier down)"),
        permissions=["retire"],
    )
    def retire(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="retire",
            question=_("Retire these tiers? Their members move one tier down."),
        )
        if asked is not None:
            return asked
        for tier in queryset.filter(is_active=True):
            try:
                moved = definitions.tier_retire(
                    tier=tier, actor=request.user, reason=f"retired in the admin by {request.user}"
                )
            except PatronError as error:
                refused(self, request, tier.code, error)
                continue
            self.message_user(
                request,
                _("%(tier)s retired; %(moved)s members moved")
                % {"tier": tier.code, "moved": moved},
            )
        return None


@admin.register(TierBenefits)
class TierBenefitsAdmin(AuditedModelAdmin):
    list_display = [
        "tier",
        "earn_multiplier_percent",
        "discount_bp",
        "free_shipping_threshold",
        "priority_shipping",
        "birthday_gift_points",
        "dedicated_service",
    ]
    list_filter = ["tier__shop"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(TierProgram)
class TierProgramAdmin(AuditedModelAdmin):
    list_display = [
        "shop",
        "qualifying_measure",
        "growth_per_yuan",
        "growth_includes_shipping",
        "growth_per_order",
        "growth_per_review",
        "growth_per_activity",
        "window_months",
        "period",
        "grace_periods",
        "downgrade_mode",
    ]
    readonly_fields = ["updated_at"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from patron.core import clock

        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


class OverrideForm(forms.ModelForm):
    class Meta:
        model = TierOverride
        fields = ["member", "tier", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        member = cleaned.get("member")
        if member is not None and not self.errors:
            problem = overrides.override_request_problem(
                member=member, tier=cleaned.get("tier"), reason=cleaned.get("reason")
            )
            if problem is not None:
                self.add_error(problem.field, problem.detail)
        return cleaned


@admin.register(TierOverride)
class TierOverrideAdmin(ServiceAddAdmin):
    """Request an override here; another operator approves or rejects it."""

    form = OverrideForm
    list_display = [
        "member",
        "tier",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "reason",
    ]
    list_filter = ["status", "shop"]
    raw_id_fields = ["member"]
    actions = ["approve", "reject", "remove"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        if obj is None:
            return []
        return [f.name for f in TierOverride._meta.fields]

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def add_through_service(self, request: HttpRequest, obj: Any) -> TierOverride:
        return overrides.override_request(
            member=obj.member,
            tier=obj.tier,
            reason=obj.reason,
            actor=request.user,  # type: ignore[arg-type]
        )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("tiers.approve_tieroverride"))

    def _each(self, request: HttpRequest, queryset: Any, fn: Any, **kwargs: Any) -> None:
        for o in queryset:
            try:
                fn(override=o, actor=request.user, **kwargs)
            except PatronError as error:
                refused(self, request, str(o), error)

    @admin.action(
        description=gettext_lazy("Approve (a different operator than the requester)"),
        permissions=["decide"],
    )
    def approve(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self, request, queryset, action="approve", question=_("Approve these tier overrides?")
        )
        if asked is not None:
            return asked
        self._each(
            request, queryset.filter(status=OverrideStatus.PENDING), overrides.override_approve
        )
        return None

    @admin.action(description=gettext_lazy("Reject"), permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self, request, queryset, action="reject", question=_("Reject these tier overrides?")
        )
        if asked is not None:
            return asked
        self._each(
            request, queryset.filter(status=OverrideStatus.PENDING), overrides.override_reject
        )
        return None

    @admin.action(
        description=gettext_lazy("Remove override (member returns to the tier they earned)"),
        permissions=["decide"],
    )
    def remove(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="remove",
            question=_("Remove these tier overrides? Members return to the tier they earned."),
        )
        if asked is not None:
            return asked
        self._each(
            request,
            queryset.filter(status=OverrideStatus.APPROVED),
            overrides.override_remove,
            reason=f"removed in the admin by {request.user}",
        )
        return None


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "member",
        "from_tier",
        "to_tier",
        "cause",
        "value",
        "threshold",
        "event_id",
        "actor",
    ]
    list_filter = ["cause", "direction", "shop"]
    search_fields = ["member__external_id", "event_id"]
    date_hierarchy = "at"


@admin.register(MemberTier)
class MemberTierAdmin(ReadOnlyAdmin):
    list_display = ["member", "tier", "since", "protected_until", "grace_until", "override"]
    list_filter = ["tier", "shop"]
    search_fields = ["member__external_id"]


@admin.register(TierStats)
class TierStatsAdmin(ReadOnlyAdmin):
    list_display = [
        "period_end",
        "tier",
        "members",
        "buyers",
        "orders",
        "revenue",
        "average_order_value",
        "orders_per_member_x100",
        "revenue_share_bp",
    ]
    list_filter = ["shop", "period_end"]


@admin.register(TierMigration)
class TierMigrationAdmin(ReadOnlyAdmin):
    list_display = ["period_end", "from_tier", "to_tier", "members"]
    list_filter = ["shop", "period_end"]


@admin.register(TierGift)
class TierGiftAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "kind",
        "year",
        "tier",
        "points",
        "coupon_template",
        "state",
        "granted_at",
    ]
    list_filter = ["kind", "year", "state"]
