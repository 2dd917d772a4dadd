"""The admin site, scoped to the operator's current shop.

Every model admin registered on the site is wrapped in :class:`ShopScopedAdmin`
when it is registered, so a new admin cannot forget it: its lists, change
pages, actions, searches and foreign-key choices show only the rows of the
current shop (``patron.core.permissions``), and the shop filter goes away
since the shop is fixed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import ForeignKey
from django.http import HttpRequest

from patron.core.models import Shop
from patron.core.permissions import scope_to_shop, shop_path


def _current(request: HttpRequest) -> int | None:
    return getattr(request, "current_shop_id", None)


class ShopScopedAdmin:
    """Mixed in front of every registered ModelAdmin by :class:`PatronAdminSite`."""

    model: Any

    def get_queryset(self, request: HttpRequest) -> Any:
        everything = super().get_queryset(request)  # type: ignore[misc]
        scoped = scope_to_shop(everything, _current(request))
        if request.user.is_superuser and _shop_optional(self.model):
            # rows of no shop (audit entries about operator accounts, older
            # entries) are for superusers
            return scoped | everything.filter(shop__isnull=True)
        return scoped

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> Any:  # type: ignore[type-arg]
        target = db_field.related_model
        if "queryset" not in kwargs and shop_path(target) is not None:
            kwargs["queryset"] = scope_to_shop(target._default_manager.all(), _current(request))
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        if field is not None and target is Shop and _current(request) is not None:
            field.initial = _current(request)
        return field

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = super().get_list_filter(request)  # type: ignore[misc]
        return [f for f in filters if not (isinstance(f, str) and _names_shop(f))]

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest | None = None) -> bool:
        # The shop is fixed; filtering on another one would only say it exists.
        if _names_shop(lookup.split("__in")[0].removesuffix("__id").removesuffix("__exact")):
            return False
        return bool(super().lookup_allowed(lookup, value, request))  # type: ignore[misc]


def _shop_optional(model: Any) -> bool:
    if shop_path(model) != "shop":
        return False
    return bool(model._meta.get_field("shop").null)


def _names_shop(path: str) -> bool:
    return path == "shop" or path.endswith("__shop") or path in {"shop_id"}


class PatronAdminSite(admin.AdminSite):
    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ShopScopedAdmin):
            admin_class = type(
                admin_class.__name__,
                (ShopScopedAdmin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)
