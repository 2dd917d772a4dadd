"""Points in the admin: programme settings, read-only accounts, lots and ledger,
and adjustments with approve/reject actions (through the services, audited)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse

from patron.core.admin import AuditedModelAdmin, ReadOnlyAdmin, ServiceAddAdmin, confirm_action
from patron.core.errors import PatronError
from patron.points import services
from patron.points.models import (
    AdjustmentState,
    LedgerEntry,
    PointsAccount,
    PointsAdjustment,
    PointsCashSettings,
    PointsCashTierRate,
    PointsLot,
    PointsProgram,
)
from patron.points.reasons import render_reason


@admin.register(PointsProgram)
class PointsProgramAdmin(AuditedModelAdmin):
    list_display = [
        "shop",
        "expiry_policy",
        "expiry_months",
        "return_window_days",
        "debt_policy",
        "approval_threshold",
    ]


@admin.register(PointsAccount)
class PointsAccountAdmin(ReadOnlyAdmin):
    list_display = [
        "member",
        "shop",
        "available",
        "pending",
        "debt",
        "lifetime_earned",
        "updated_at",
    ]
    list_filter = ["shop"]
    search_fields = ["member__external_id"]
    list_select_related = ["member", "shop"]


@admin.register(PointsLot)
class PointsLotAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "account",
        "points",
        "remaining",
        "state",
        "earned_at",
        "available_at",
        "expires_at",
    ]
    list_filter = ["state"]
    search_fields = ["account__member__external_id"]
    list_select_related = ["account__member"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "points",
        "delta_available",
        "delta_pending",
        "delta_debt",
        "reason",
        "rule_version",
        "order",
        "operator",
    ]
    list_filter = ["kind", "reason_code"]
    search_fields = ["account__member__external_id", "order__external_id"]
    list_select_related = ["account__member", "rule_version__rule", "order", "operator"]
    date_hierarchy = "created_at"

    @admin.display(description="reason")
    def reason(self, obj: LedgerEntry) -> str:
        return render_reason(obj.reason_code, obj.reason_params)


class AdjustmentForm(forms.ModelForm):
    class Meta:
        model = PointsAdjustment
        fields = ["member", "points", "reason"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        member, points = cleaned.get("member"), cleaned.get("points")
        if member is not None and points is not None:
            problem = services.adjustment_problem(
                member=member, points=points, reason=cleaned.get("reason")
            )
            if problem is not None:
                self.add_error(problem.field, problem.detail)
        return cleaned


@admin.register(PointsAdjustment)
class PointsAdjustmentAdmin(ServiceAddAdmin):
    form = AdjustmentForm
    list_display = [
        "requested_at",
        "member",
        "points",
        "reason",
        "state",
        "requested_by",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["state"]
    search_fields = ["member__external_id", "reason"]
    raw_id_fields = ["member"]
    actions = ["approve", "reject"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("points.adjust_points")

    def add_through_service(self, request: HttpRequest, obj: Any) -> PointsAdjustment:
        created = services.adjustment_request(
            member=obj.member,
            points=obj.points,
            reason=obj.reason,
            actor=request.user,  # type: ignore[arg-type]
        )
        obj.state = created.state
        if created.state == AdjustmentState.AWAITING_APPROVAL:
            self.message_user(
                request,
                "Above the approval threshold: a second operator must approve it.",
                messages.WARNING,
            )
        return created

    def _decide(self, request: HttpRequest, queryset: Any, approve: bool) -> None:
        done = 0
        for adjustment in queryset.filter(state=AdjustmentState.AWAITING_APPROVAL):
            try:
                if approve:
                    services.adjustment_approve(adjustment=adjustment, actor=request.user)  # type: ignore[arg-type]
                else:
                    services.adjustment_reject(adjustment=adjustment, actor=request.user)  # type: ignore[arg-type]
                done += 1
            except PatronError as exc:
                self.message_user(request, f"{adjustment}: {exc.detail}", messages.ERROR)
        if done:
            self.message_user(
                request, f"{done} adjustment(s) {'approved' if approve else 'rejected'}."
            )

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("points.approve_adjustment"))

    @admin.action(description="Approve selected adjustments", permissions=["decide"])
    def approve(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self, request, queryset, action="approve", question="Approve these adjustments?"
        )
        if asked is not None:
            return asked
        self._decide(request, queryset, approve=True)
        return None

    @admin.action(description="Reject selected adjustments", permissions=["decide"])
    def reject(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self, request, queryset, action="reject", question="Reject these adjustments?"
        )
        if asked is not None:
            return asked
        self._decide(request, queryset, approve=False)
        return None


class TierRateInline(admin.TabularInline):
    model = PointsCashTierRate
    extra = 0


@admin.register(PointsCashSettings)
class PointsCashSettingsAdmin(AuditedModelAdmin):
    list_display = [
        "shop",
        "enabled",
        "points_per_yuan",
        "max_share_percent",
        "min_points",
        "step_points",
        "combine_with_coupons",
        "hold_minutes",
    ]
    inlines = [TierRateInline]
