from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from patron.core import services
from patron.core.errors import PatronError
from patron.core.models import ApiKey, AuditLog, OperatorMembership, Shop
from patron.core.pii import mask_email, mask_phone

PII_PERMISSION = "members.view_member_pii"


def sees_pii(request: HttpRequest) -> bool:
    """Whether the operator may see phone numbers and e-mail addresses in full."""
    return bool(request.user.has_perm(PII_PERMISSION))


def masked_json(value: Any) -> Any:
    """A copy of a JSON value with every phone number and e-mail address masked
    as the member admin and the audit log show them: any key naming a phone or
    an e-mail (``phone``, ``contact_email``, ...), at any depth."""
    if isinstance(value, dict):
        masked: dict[Any, Any] = {}
        for key, item in value.items():
            name = str(key).lower()
            if isinstance(item, str) and item and "phone" in name:
                masked[key] = mask_phone(item)
            elif isinstance(item, str) and item and ("email" in name or "e_mail" in name):
                masked[key] = mask_email(item)
            else:
                masked[key] = masked_json(item)
        return masked
    if isinstance(value, list):
        return [masked_json(item) for item in value]
    return value


def confirm_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: Any, *, action: str, question: str
) -> TemplateResponse | None:
    """A page asking "are you sure?" before an admin action changes anything,
    as Django's delete action does; None once the operator has confirmed.

    The action runs on the second POST (``post=yes``), with the same selection."""
    if request.POST.get("post") == "yes":
        return None
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": question,
        "question": question,
        "queryset": queryset,
        "opts": opts,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, "admin/confirm_action.html", context)


def refused(
    modeladmin: admin.ModelAdmin, request: HttpRequest, label: str, error: PatronError
) -> None:
    modeladmin.message_user(request, f"{label}: {error.detail}", messages.ERROR)


class ServiceAddAdmin(admin.ModelAdmin):
    """An admin whose "add" is a service call (``add_through_service``).

    Its form runs the service's own check first; a refusal the form could not
    foresee (a concurrent change between the check and the save) is shown as
    a message, nothing is saved or logged, and the add form comes back."""

    def add_through_service(self, request: HttpRequest, obj: Any) -> Model:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        try:
            created = self.add_through_service(request, obj)
        except PatronError as error:
            self.message_user(request, error.detail, messages.ERROR)
            obj.refused = True
            return
        obj.pk = created.pk

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(obj, "refused", False):
            return None
        return super().log_addition(request, obj, message)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        if getattr(obj, "refused", False):
            return HttpResponseRedirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin whose every save and delete lands in the audit log with before/after."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = None
        if change and obj.pk:
            previous = type(obj).objects.filter(pk=obj.pk).first()
            before = services.snapshot(previous) if previous else None
        super().save_model(request, obj, form, change)
        services.audit_record(
            actor=request.user,
            action=f"{obj._meta.model_name}.{'change' if change else 'create'}",
            obj=obj,
            before=before,
            after=services.snapshot(obj),
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        before = services.snapshot(obj)
        services.audit_record(
            actor=request.user, action=f"{obj._meta.model_name}.delete", obj=obj, before=before
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            services.audit_record(
                actor=request.user,
                action=f"{obj._meta.model_name}.delete",
                obj=obj,
                before=services.snapshot(obj),
            )
        super().delete_queryset(request, queryset)


@admin.register(Shop)
class ShopAdmin(AuditedModelAdmin):
    list_display = ["name", "currency", "created_at"]


@admin.register(OperatorMembership)
class OperatorMembershipAdmin(AuditedModelAdmin):
    """Which operators work on the current shop, in which role (superusers only:
    the shop roles do not hold these permissions)."""

    list_display = ["user", "shop", "role"]
    list_filter = ["role"]
    search_fields = ["user__username"]
    raw_id_fields = ["user"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "shop", "prefix", "scopes", "created_at", "revoked_at", "last_used_at"]
    list_filter = ["shop"]
    fields = ["shop", "name", "scopes"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return ["shop", "name", "scopes"] if obj else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return
        created = services.api_key_create(
            shop=obj.shop, name=obj.name, scopes=obj.scopes or [], actor=request.user
        )
        obj.pk = created.api_key.pk
        self.message_user(
            request,
            f"API key created. Copy it now, it will not be shown again: {created.token}",
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("core.revoke_apikey"))

    @admin.action(description="Revoke selected keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        asked = confirm_action(
            self, request, queryset, action="revoke", question="Revoke these API keys?"
        )
        if asked is not None:
            return asked
        for key in queryset:
            try:
                services.api_key_revoke(api_key=key, actor=request.user)
            except PatronError as error:
                refused(self, request, str(key), error)
        return None


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log cannot be edited or deleted from the UI."""

    list_display = ["at", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_id", "object_repr", "reason"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
