"""Every admin page refuses, for roles without the PII permission, every
lookup that reads personal data: on the model's own PII or JSON fields, or
through a relation into another model's (issue 11, item 3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model
from django.test import RequestFactory

from patron.core.admin import PiiGuardedAdmin, pii_fields, reaches_pii
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync

pytestmark = pytest.mark.django_db


def _pii_paths(model: type[Model]) -> list[str]:
    """Lookups reading a PII field of ``model`` or of a model one relation away."""
    paths = [f"{name}__startswith" for name in pii_fields(model)]
    paths += [f"{name}__phone__startswith" for name in pii_fields(model)]
    for field in model._meta.get_fields():
        related = field.related_model if field.is_relation else None
        if isinstance(related, type):
            paths += [f"{field.name}__{name}__startswith" for name in pii_fields(related)]
    return paths


def _request(role: str | None) -> Any:
    request = RequestFactory().get("/admin/")
    if role is None:
        request.user = AnonymousUser()
        return request
    roles_sync()
    # Operators belong to shops: the role counts in the shop the request works on.
    shop = Shop.objects.create(name=f"Walk shop {role}")
    user = User.objects.create_user(f"walk-{role}", is_staff=True)
    OperatorMembership.objects.create(user=user, shop=shop, role=role)
    request.user = User.objects.get(pk=user.pk)  # fresh permission cache
    request.user.current_shop_id = shop.pk  # type: ignore[attr-defined]  # as the middleware does
    request.current_shop_id = shop.pk  # type: ignore[attr-defined]
    return request


@pytest.mark.parametrize("role", ["analyst", "marketing", "finance"])
def test_no_admin_allows_a_lookup_into_personal_data_without_the_permission(role: str) -> None:
    request = _request(role)
    assert not request.user.has_perm("members.view_member_pii")
    leaks = []
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if not model_admin.has_view_or_change_permission(request):
            continue  # the page itself is refused
        for path in _pii_paths(model):
            checked += 1
            if model_admin.lookup_allowed(path, "1", request):
                leaks.append(f"{model._meta.label}: {path}")
        for name in model_admin.get_search_fields(request):
            if reaches_pii(model, name):
                leaks.append(f"{model._meta.label}: search {name}")
    assert checked > 20  # the walk reached the PII-bearing admins
    assert leaks == [], "\n".join(leaks)


def test_admins_of_models_with_personal_data_are_guarded() -> None:
    unguarded = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if getattr(model, "PII_FIELDS", ()) and not isinstance(model_admin, PiiGuardedAdmin)
    ]
    assert unguarded == []


def test_roles_with_the_permission_keep_their_lookups() -> None:
    from patron.members.models import Member

    request = _request("service_agent")
    assert admin.site._registry[Member].lookup_allowed("phone__startswith", "1", request)


@pytest.mark.parametrize(
    ("path", "reaches"),
    [
        ("phone", True),
        ("-phone", True),
        ("^email", True),
        ("phone__startswith", True),
        ("birthday__year__gt", True),
        ("name__icontains", False),
        ("shop__name", False),
        ("external_id", False),
        ("no_such_field", False),
    ],
)
def test_reaches_pii_on_members(path: str, reaches: bool) -> None:
    from patron.members.models import Member

    assert reaches_pii(Member, path) is reaches
