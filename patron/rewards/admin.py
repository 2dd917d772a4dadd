from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from patron.core.admin import (
    AuditedModelAdmin,
    PiiGuardedAdmin,
    ReadOnlyAdmin,
    confirm_action,
    refused,
    sees_pii,
)
from patron.core.errors import PatronError
from patron.core.pii import mask_address
from patron.rewards import services
from patron.rewards.models import Redemption, Reward


@admin.register(Reward)
class RewardAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "points_price", "stock", "redeemed_count", "ends_at", "active"]
    list_filter = ["shop", "kind", "active"]
    search_fields = ["name"]
    readonly_fields = ["redeemed_count"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin, PiiGuardedAdmin):
    """Redemptions change only by fulfilling or cancelling them.

    The shipping address is personal data: roles without the PII permission
    see it masked, like phone numbers."""

    list_display = ["id", "member", "reward", "points", "status", "placed_at", "fulfilled_at"]
    list_filter = ["status", "reward__kind", "shop"]
    search_fields = ["request_id", "member__external_id", "reward__name"]
    list_select_related = ["member", "reward"]
    actions = ["fulfil", "cancel"]

    def get_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        names = [f.name for f in Redemption._meta.fields if f.name != "id"]
        if sees_pii(request):
            return names
        return ["shipping_address_masked" if n == "shipping_address" else n for n in names]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return self.get_fields(request, obj)

    @admin.display(description=Redemption._meta.get_field("shipping_address").verbose_name)
    def shipping_address_masked(self, obj: Redemption) -> str:
        return mask_address(obj.shipping_address)

    def has_fulfil_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("rewards.fulfil_redemption"))

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("rewards.cancel_redemption"))

    @admin.action(
        description="Mark the selected redemptions fulfilled (shipped)", permissions=["fulfil"]
    )
    def fulfil(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="fulfil",
            question=gettext("Mark these redemptions fulfilled (shipped)?"),
        )
        if asked is not None:
            return asked
        self._each(request, queryset, services.redemption_fulfil)
        return None

    @admin.action(
        description="Cancel the selected redemptions (points and stock back)",
        permissions=["cancel"],
    )
    def cancel(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self,
            request,
            queryset,
            action="cancel",
            question=gettext("Cancel these redemptions? Points and stock go back."),
        )
        if asked is not None:
            return asked
        self._each(request, queryset, services.redemption_cancel)
        return None

    def _each(self, request: HttpRequest, queryset: Any, action: Any) -> None:
        for redemption in queryset:
            try:
                action(redemption=redemption, actor=request.user)
            except PatronError as error:
                refused(self, request, f"#{redemption.pk}", error)
