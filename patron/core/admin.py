from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, router, transaction
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from patron.core import services
from patron.core.errors import PatronError
from patron.core.models import ApiKey, AuditLog, OperatorMembership, Shop
from patron.core.pii import mask_address, mask_email, mask_phone

PII_PERMISSION = "members.view_member_pii"


def sees_pii(request: HttpRequest) -> bool:
    """Whether the operator may see phone numbers and e-mail addresses in full."""
    return bool(request.user.has_perm(PII_PERMISSION))


def masked_json(value: Any) -> Any:
    """A copy of a JSON value with every phone number and e-mail address masked
    as the member admin and the audit log show them: any key naming a phone,
    an e-mail or an address (``phone``, ``contact_email``, ``shipping_address``,
    ...), at any depth."""
    if isinstance(value, dict):
        masked: dict[Any, Any] = {}
        for key, item in value.items():
            name = str(key).lower()
            if isinstance(item, str) and item and "phone" in name:
                masked[key] = mask_phone(item)
            elif isinstance(item, str) and item and ("email" in name or "e_mail" in name):
                masked[key] = mask_email(item)
            elif isinstance(item, str) and item and "address" in name:
                masked[key] = mask_address(item)
            else:
                masked[key] = masked_json(item)
        return masked
    if isinstance(value, list):
        return [masked_json(item) for item in value]
    return value


def pii_fields(model: type[Model]) -> frozenset[str]:
    """The fields of ``model`` that hold personal data shown masked (or not at
    all) to roles without the PII permission, as the model names them in
    ``PII_FIELDS``: phone, e-mail, birthday, addresses, and the JSON fields
    (event payloads, audit snapshots) that may carry them under any key."""
    return frozenset(getattr(model, "PII_FIELDS", ()))


def reaches_pii(model: type[Model], path: str) -> bool:
    """Whether a lookup, search or ordering path (``phone__startswith``,
    ``member__email``, ``payload__phone``, ``-phone``, ``^email``) reads a
    personal-data field of ``model`` or of a model it leads to."""
    current: type[Model] = model
    for part in path.lstrip("-^=@").split(LOOKUP_SEP):
        try:
            field = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False  # a lookup or transform on a field already passed
        if field.name in pii_fields(current):
            return True
        related = field.related_model if field.is_relation else None
        if not isinstance(related, type):
            return False
        current = related
    return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """A model shown in the admin but written only by the services (no add,
    change or delete)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class PiiGuardedChangeList(ChangeList):
    """A change list that sorts by no personal-data column for roles without
    the PII permission (``?o=`` would otherwise rank members by phone)."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.hides_pii = not sees_pii(request)
        super().__init__(request, *args, **kwargs)

    def get_ordering_field(self, field_name: Any) -> Any:
        order_field = super().get_ordering_field(field_name)
        if self.hides_pii and isinstance(order_field, str) and reaches_pii(self.model, order_field):
            return None
        if self.hides_pii and order_field is not None and not isinstance(order_field, str):
            # An expression could read anything; only plain fields are vetted.
            return None
        return order_field


class PiiGuardedAdmin(admin.ModelAdmin):
    """An admin over a model with personal data (see ``pii_fields``).

    For roles without the PII permission no filter, search, sort or count may
    tell more than the masked value shows: ``?phone__startswith=`` counting
    members digit by digit, ``?payload__phone__startswith=`` on events, a
    search or a sort on the field. Such lookups are refused (400, as Django
    refuses any lookup it does not allow); search, list filters and sorting
    leave the fields out. Roles with the permission see the values anyway."""

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        if not sees_pii(request) and reaches_pii(self.model, lookup):
            return False
        # Django splits a ``__range`` value at commas and builds BETWEEN from
        # the first two parts: ``?name__range=0`` would crash (a 500), so a
        # range that is not exactly two values is refused like a bad lookup.
        if lookup.endswith("__range") and len(str(value).split(",")) != 2:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_fields(self, request: HttpRequest) -> Any:
        fields = super().get_search_fields(request)
        if sees_pii(request):
            return fields
        return [f for f in fields if not reaches_pii(self.model, f)]

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)
        if sees_pii(request):
            return filters
        return [
            f
            for f in filters
            if not (isinstance(f, str) and reaches_pii(self.model, f))
            and not (isinstance(f, list | tuple) and reaches_pii(self.model, str(f[0])))
        ]

    def get_sortable_by(self, request: HttpRequest) -> Any:
        columns = super().get_sortable_by(request)
        if sees_pii(request):
            return columns
        return [c for c in columns if not self._sorts_by_pii(c)]

    def _sorts_by_pii(self, column: Any) -> bool:
        if not isinstance(column, str):
            return False
        if reaches_pii(self.model, column):
            return True
        attr = getattr(self, column, None) or getattr(self.model, column, None)
        if isinstance(attr, property):
            attr = attr.fget
        order_field = getattr(attr, "admin_order_field", None)
        # An expression could read anything; only plain field paths are vetted.
        return order_field is not None and (
            not isinstance(order_field, str) or reaches_pii(self.model, order_field)
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PiiGuardedChangeList

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        # A lookup the database cannot run (``?name__regex=+86``: an invalid
        # pattern) is bad input, not a server error: the admin's own "invalid
        # filter" answer, in a savepoint so PostgreSQL's transaction survives.
        try:
            with transaction.atomic(using=router.db_for_read(self.model)):
                return super().get_changelist_instance(request)
        except DatabaseError as error:
            raise IncorrectLookupParameters(error) from error


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
class AuditLogAdmin(ReadOnlyAdmin, PiiGuardedAdmin):
    """Read-only: the audit log cannot be edited or deleted from the UI."""

    list_display = ["at", "actor_label", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_id", "object_repr", "reason"]
    date_hierarchy = "at"
