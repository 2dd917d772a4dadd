"""Operators' permissions per shop (docs/decisions/operator-shops.md).

An operator belongs to shops through :class:`OperatorMembership`, with a role
in each. Their permissions are those of the role (the synced group of that
name) in one shop:

- ``user.has_perm(perm, shop)`` answers for that shop;
- ``user.has_perm(perm)`` answers for the *current* shop, the one the request
  works on (``CurrentShopMiddleware`` puts it on the user; outside a request
  there is none and only superusers hold anything);
- superusers hold every permission in every shop.

Services check the actor themselves with :func:`require_perm`, against the
shop of the object they change, so a page or an admin action that forgets a
check still cannot act.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy

from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import OperatorMembership, Shop

SESSION_KEY = "patron_current_shop"
_CACHE = "_patron_shop_perm_cache"


def role_permissions(role: str) -> set[str]:
    """'app.codename' of every permission the role's group holds."""
    rows = Permission.objects.filter(group__name=role).values_list(
        "content_type__app_label", "codename"
    )
    return {f"{app}.{codename}" for app, codename in rows}


def shop_id_of(user: Any) -> int | None:
    """The shop the user is working on in this request, if any."""
    return getattr(user, "current_shop_id", None)


class ShopRoleBackend(ModelBackend):
    """Django's model backend with group permissions replaced by the role the
    user holds in a shop. Permissions given to the user directly still count."""

    def get_group_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        shop_id = obj.pk if isinstance(obj, Shop) else shop_id_of(user_obj)
        if obj is not None and not isinstance(obj, Shop):
            return set()
        if shop_id is None:
            return set()
        cache: dict[int, set[str]] = user_obj.__dict__.setdefault(_CACHE, {})
        if shop_id not in cache:
            role = (
                OperatorMembership.objects.filter(user=user_obj, shop_id=shop_id)
                .values_list("role", flat=True)
                .first()
            )
            cache[shop_id] = role_permissions(role) if role else set()
        return cache[shop_id]

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj)
        return {*self.get_user_permissions(user_obj), *self.get_group_permissions(user_obj, obj)}

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        return user_obj.is_active and perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return user_obj.is_active and any(
            p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj)
        )


def require_perm(
    actor: User | AnonymousUser | None, perm: str, *, shop: Shop | int | None, what: str
) -> None:
    """Refuse (403) unless ``actor`` holds ``perm`` in ``shop``.

    ``actor=None`` is Patron itself (a job, the shop's API with its key, another
    service); every operator path passes the signed-in user, and an anonymous
    one is refused.
    """
    if actor is None:
        return
    shop_obj = shop if isinstance(shop, Shop) or shop is None else Shop(pk=shop)
    if actor.is_authenticated and actor.has_perm(perm, shop_obj):
        return
    # ``what`` is one of the English phrases below, translated with the rest.
    raise PatronError(
        ErrorCode.FORBIDDEN,
        lazy_format(gettext_lazy("you may not %(what)s"), what=gettext_lazy(what)),
        status=403,
    )


# --- Which shop a row belongs to ---------------------------------------------

_PATHS: dict[type[Model], str | None] = {}


def shop_path(model: type[Model]) -> str | None:
    """The ORM path from ``model`` to its shop ("shop", "member__shop", "pk"
    for the shop itself), or None for what belongs to no shop. Found by
    following foreign keys (at most three steps), so a new model is scoped
    without being listed anywhere."""
    if model in _PATHS:
        return _PATHS[model]
    found: str | None = None
    if issubclass(model, Shop):
        found = "pk"
    else:
        frontier: list[tuple[type[Model], str]] = [(model, "")]
        seen: set[type[Model]] = {model}
        for _depth in range(3):
            following: list[tuple[type[Model], str]] = []
            for current, prefix in frontier:
                for field in current._meta.concrete_fields:
                    target = getattr(field, "related_model", None)
                    to_one = field.many_to_one or field.one_to_one
                    if not to_one or target is None or isinstance(target, str):
                        continue
                    if target is Shop:
                        found = f"{prefix}{field.name}"
                        break
                    if target not in seen and target._meta.app_label != "auth":
                        seen.add(target)
                        following.append((target, f"{prefix}{field.name}__"))
                if found:
                    break
            if found:
                break
            frontier = following
    _PATHS[model] = found
    return found


def shop_of(obj: Model) -> int | None:
    """The id of the shop ``obj`` belongs to, or None."""
    path = shop_path(type(obj))
    if path is None or (obj.pk is None and path != "shop"):
        return getattr(obj, "shop_id", None)
    if path == "pk":
        return int(obj.pk)
    if path == "shop":
        return getattr(obj, "shop_id", None)
    row = type(obj)._default_manager.filter(pk=obj.pk).values_list(f"{path}__pk", flat=True).first()
    return int(row) if row is not None else None


def scope_to_shop(queryset: Any, shop_id: int | None) -> Any:
    """Only the rows of ``shop_id`` (nothing without a shop, all for unscoped models)."""
    path = shop_path(queryset.model)
    if path is None:
        return queryset
    if shop_id is None:
        return queryset.none()
    return queryset.filter(**{"pk" if path == "pk" else f"{path}__pk": shop_id})


# --- The current shop of a request -------------------------------------------


def operator_shops(user: Any) -> list[Shop]:
    """The shops the operator may work on: their memberships' (every shop for a superuser)."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Shop.objects.order_by("name", "pk"))
    return list(Shop.objects.filter(memberships__user=user).order_by("name", "pk"))


def shop_choose(request: HttpRequest, shop_id: int) -> bool:
    """Make ``shop_id`` the request's current shop if the operator belongs to it."""
    user = request.user
    if not any(s.pk == shop_id for s in operator_shops(user)):
        return False
    request.session[SESSION_KEY] = shop_id
    _set_current(request, shop_id)
    return True


def _set_current(request: HttpRequest, shop_id: int | None) -> None:
    user = request.user
    user.current_shop_id = shop_id  # type: ignore[union-attr]
    user.__dict__.pop(_CACHE, None)
    user.__dict__.pop("_perm_cache", None)
    request.current_shop_id = shop_id  # type: ignore[attr-defined]


def current_shop(request: HttpRequest) -> Shop | None:
    shop_id = getattr(request, "current_shop_id", None)
    return Shop.objects.filter(pk=shop_id).first() if shop_id is not None else None


class CurrentShopMiddleware:
    """Puts the operator's current shop (kept in the session, checked against
    their memberships) on ``request.user`` for the permission backend, and on
    ``request.current_shop_id`` for the pages. An operator of one shop is
    always in it; an operator of several starts in the first."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.current_shop_id = None  # type: ignore[attr-defined]
        if hasattr(request, "session") and request.path.startswith(("/console/", "/admin/")):
            user = request.user
            if user.is_authenticated:
                wanted = request.session.get(SESSION_KEY)
                shops = [s.pk for s in operator_shops(user)]
                chosen = wanted if wanted in shops else (shops[0] if shops else None)
                if chosen != wanted:
                    if chosen is None:
                        request.session.pop(SESSION_KEY, None)
                    else:
                        request.session[SESSION_KEY] = chosen
                _set_current(request, chosen)
        return self.get_response(request)


def operator_shop(request: HttpRequest) -> dict[str, Any]:
    """Template context: the current shop and the shops to switch to (operator pages)."""
    if getattr(request, "current_shop_id", None) is None:
        return {}
    shops = operator_shops(request.user)
    current = next((s for s in shops if s.pk == request.current_shop_id), None)  # type: ignore[attr-defined]
    return {"operator_shops": shops, "current_shop": current}
