"""Every console page, console API call, admin page and admin action, walked as
every role of shop A while shop B has data of its own (issue 11).

The list of what to walk comes from the URL resolver and the admin registry,
so a new page, API call, admin or action is walked without being listed here
(and an action or API call whose permission this file does not know fails the
test). What each role may do comes from the role table (``patron.core.roles``,
as ``patron sync-roles`` writes it); each answer must be allowed or refused
exactly as it says, and no answer may show anything of shop B.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model, Value
from django.db.models.functions import Concat
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from patron.core.models import OperatorMembership, Shop
from patron.core.permissions import role_permissions, scope_to_shop, shop_path
from patron.core.pii import mask_email, mask_phone
from patron.core.roles import ROLE_CHOICES, SUPERUSER_ONLY_APPS
from patron.core.services import roles_sync
from patron.demo.data import demo_seed
from patron.tests.service_walk import service_desks

pytestmark = pytest.mark.django_db

ROLES = [role for role, _label in ROLE_CHOICES]

# Console views anyone may reach (signing in and out, language, switching shops).
PUBLIC_CONSOLE_VIEWS = {"login", "logout", "language", "shop"}

# Console pages that only take a POST (a form's target).
POST_ONLY = {
    "adjust_points",
    "override_tier",
    "decide",
    "webhook_resend",
    "messaging_switch",
    "service_reply",
    "service_note",
    "service_status",
    "service_reassign",
    "service_merge",
    "service_tags",
    "service_macro",
    "service_call",
    "return_act",
    "compensation_grant",
    "assistant_entry_state",
    "assistant_learn_act",
}

# Console API calls: url name -> (method, the permission(s) the role needs, body).
CONSOLE_API: dict[str, tuple[str, tuple[str, ...], dict[str, Any] | None]] = {
    "member_get": ("get", ("members.view_member",), None),
    "adjustment_create": ("post", ("points.adjust_points",), {"points": 5, "reason": "walk"}),
    "adjustment_approve": ("post", ("points.approve_adjustment",), None),
    "approvals_list": ("get", ("points.approve_adjustment", "tiers.approve_tieroverride"), None),
    "coupon_template_create": (
        "post",
        ("promotions.add_coupontemplate",),
        {"code": "walk", "name": "walk", "type": "fixed", "amount": 100},
    ),
    "audit_list": ("get", ("core.view_auditlog",), None),
    "dashboard": ("get", ("console.view_dashboard",), None),
}

# Admin actions: (app, model, action) -> the permission the role table must hold.
# Django's delete action needs the model's delete permission.
ACTION_PERMS: dict[tuple[str, str, str], str] = {
    ("tiers", "tier", "retire"): "tiers.retire_tier",
    ("tiers", "tieroverride", "approve"): "tiers.approve_tieroverride",
    ("tiers", "tieroverride", "reject"): "tiers.approve_tieroverride",
    ("tiers", "tieroverride", "remove"): "tiers.approve_tieroverride",
    ("rewards", "redemption", "fulfil"): "rewards.fulfil_redemption",
    ("rewards", "redemption", "cancel"): "rewards.cancel_redemption",
    ("promotions", "coupon", "revoke"): "promotions.revoke_coupon",
    ("promotions", "coupontemplate", "assign_public_code"): "promotions.assign_public_code",
    ("points", "pointsadjustment", "approve"): "points.approve_adjustment",
    ("points", "pointsadjustment", "reject"): "points.approve_adjustment",
    ("core", "apikey", "revoke"): "core.revoke_apikey",
}


def _patterns(
    resolver: URLResolver, prefix: str = "", namespace: str | None = None
) -> list[tuple[str | None, str, URLPattern]]:
    found = []
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            found += _patterns(p, prefix + str(p.pattern), p.namespace or namespace)
        else:
            found.append((namespace, prefix + str(p.pattern), p))
    return found


def _fill(route: str, ids: dict[str, int | str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), route)


# --- the two shops -----------------------------------------------------------


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> dict[str, Any]:
    """Shop A and shop B, both seeded with the demo data; everything of B is
    renamed so that it can be recognised in an answer."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"  # the tickets' attachments
    from patron.members.models import Member
    from patron.orders.models import Order
    from patron.points.models import PointsAdjustment
    from patron.points.services import adjustment_request
    from patron.portal.models import ShopSignInSecret
    from patron.portal.services import sign_in_secret_rotate
    from patron.promotions.models import CouponTemplate
    from patron.rewards.models import Reward
    from patron.tiers.models import Tier
    from patron.tiers.services import overrides

    demo_seed(members=12, orders=30, seed=1)
    shop_a = Shop.objects.get()
    shop_a.name = "Shop A"
    shop_a.save()
    demo_seed(members=12, orders=30, seed=2)
    shop_b = Shop.objects.exclude(pk=shop_a.pk).get()
    shop_b.name = "Shop Bravo"
    shop_b.save()
    Member.objects.filter(shop=shop_b).update(
        external_id=Concat(Value("BRAVO-"), "external_id"), name=Concat(Value("乙店"), "name")
    )
    Order.objects.filter(shop=shop_b).update(external_id=Concat(Value("BRAVO-"), "external_id"))
    CouponTemplate.objects.filter(shop=shop_b).update(name=Concat(Value("乙店券"), "name"))
    Reward.objects.filter(shop=shop_b).update(name=Concat(Value("乙店礼"), "name"))
    roles_sync()
    # the demo operators belong to both seeded shops; this walk uses its own
    OperatorMembership.objects.all().delete()
    operators = {}
    for role in ROLES:
        user = User.objects.create_user(f"walk-{role}", password="pw", is_staff=True)
        OperatorMembership.objects.create(user=user, shop=shop_a, role=role)
        operators[role] = user
    marketer_b = User.objects.create_user("walk-b-marketing", is_staff=True)
    OperatorMembership.objects.create(user=marketer_b, shop=shop_b, role="marketing")
    lead_b = User.objects.create_user("walk-b-lead", is_staff=True)
    OperatorMembership.objects.create(user=lead_b, shop=shop_b, role="service_lead")
    # requests waiting in both shops
    for shop, marketer in ((shop_a, operators["marketing"]), (shop_b, marketer_b)):
        member = Member.objects.filter(shop=shop).order_by("pk").first()
        assert member is not None
        adjustment_request(member=member, points=99999, reason="big", actor=marketer)
        top = Tier.objects.filter(shop=shop, is_active=True).order_by("-rank").first()
        assert top is not None
        for other in Member.objects.filter(shop=shop).order_by("-pk"):
            if overrides.override_request_problem(member=other, tier=top, reason="VIP") is None:
                overrides.override_request(member=other, tier=top, reason="VIP", actor=marketer)
                break
    markers = service_desks(shop_a, shop_b, operators)
    for member in Member.objects.filter(shop=shop_b):
        markers |= {member.external_id, member.name}
        if member.phone:
            markers |= {member.phone, mask_phone(member.phone)}
        if member.email:
            markers |= {member.email, mask_email(member.email)}
    markers |= set(Order.objects.filter(shop=shop_b).values_list("external_id", flat=True))
    markers |= set(CouponTemplate.objects.filter(shop=shop_b).values_list("name", flat=True))
    markers |= set(Reward.objects.filter(shop=shop_b).values_list("name", flat=True))
    # shop B's portal sign-in secret: no page of shop A may show it
    sign_in_secret_rotate(shop=shop_b)
    markers |= set(ShopSignInSecret.objects.filter(shop=shop_b).values_list("secret", flat=True))
    # what shop A has too (the demo member's phone and e-mail) tells nothing
    a_values: set[str] = set()
    for member in Member.objects.filter(shop=shop_a):
        for value in (member.phone, member.email):
            if value:
                a_values |= {value, mask_phone(value), mask_email(value)}
    markers -= {m for m in markers if not m or m in a_values}
    assert PointsAdjustment.objects.filter(member__shop=shop_b).exists()
    return {"a": shop_a, "b": shop_b, "operators": operators, "markers": markers}


def _leaks(body: str, markers: set[str]) -> list[str]:
    return sorted(m for m in markers if m in body)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the console -------------------------------------------------------------


def _return_request(shop: Shop) -> Any:
    """A return request of one of the shop's orders (the returns desk's pages)."""
    from patron.orders.models import Order
    from patron.service.models import ReturnRequest

    order = Order.objects.filter(shop=shop).order_by("pk").first()
    assert order is not None
    found = ReturnRequest.objects.filter(shop=shop).first()
    return found or ReturnRequest.objects.create(
        shop=shop,
        order=order,
        member_id=order.member_id,
        kind="return",
        reason="size",
        created_at=order.placed_at,
        updated_at=order.placed_at,
    )


def _console_ids(shop: Shop) -> dict[str, int | str]:
    from patron.assistant.models import Entry
    from patron.members.models import Member
    from patron.points.models import AdjustmentState, PointsAdjustment
    from patron.service.models import Attachment, Ticket

    member = Member.objects.filter(shop=shop).order_by("pk").first()
    ticket = Ticket.objects.filter(shop=shop).order_by("-number").first()
    adjustment = PointsAdjustment.objects.filter(
        member__shop=shop, state=AdjustmentState.AWAITING_APPROVAL
    ).first()
    assert member is not None and adjustment is not None and ticket is not None
    return {
        "number": ticket.number,
        "return_id": _return_request(shop).pk,
        "attachment_id": Attachment.objects.filter(entry__shop_id=shop.pk).get().pk,
        "member_id": member.pk,
        "entry_id": Entry.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True)[0],
        "kind": "adjustment",
        "pk": adjustment.pk,
        "adjustment_id": adjustment.pk,
    }


def _body(route_name: str | None) -> dict[str, Any]:
    bodies: dict[str | None, dict[str, Any]] = {
        "adjust_points": {"points": 3, "reason": "walk"},
        "override_tier": {"tier": "gold", "reason": "walk"},
        "decide": {"decision": "reject", "note": "walk"},
        "coupon_template_new": {"code": "walk-page", "name": "walk", "type": "fixed"},
        "service_reply": {"body": "walk"},
        "service_note": {"body": "walk"},
        "service_status": {"status": "open"},
    }
    return bodies.get(route_name, {})


def test_every_console_page_and_api_call_as_every_role_of_shop_a(world: dict[str, Any]) -> None:
    from patron.points.models import PointsAdjustment

    pages = [
        (route, p)
        for ns, route, p in _patterns(get_resolver())
        if ns == "console" and p.name not in PUBLIC_CONSOLE_VIEWS
    ]
    api_calls = [
        (route, p)
        for ns, route, p in _patterns(get_resolver())
        if ns == "console-api" and p.name != "api-root"
    ]
    assert {p.name for _r, p in api_calls} == set(CONSOLE_API), "a console API call is unknown"
    ids_a, ids_b = _console_ids(world["a"]), _console_ids(world["b"])
    b_state = list(PointsAdjustment.objects.filter(member__shop=world["b"]).values("pk", "state"))
    problems: list[str] = []
    for role in ROLES:
        perms = role_permissions(role)
        client = _client(world["operators"][role])
        for route, p in pages:
            needed = p.callback.required_perms  # type: ignore[attr-defined]
            if p.name == "decide":  # walked with an adjustment: its own permission decides
                needed = ("points.approve_adjustment",)
            allowed = "console.use_console" in perms and (
                not needed or any(n in perms for n in needed)
            )
            posts = p.name in POST_ONLY
            for which, ids in (("A", ids_a), ("B", ids_b)):
                if which == "B" and "<" not in route:
                    continue
                url = _fill(route, ids)
                response = client.post(url, _body(p.name)) if posts else client.get(url)
                # a file download streams its body
                raw = (
                    b"".join(response.streaming_content)  # type: ignore[attr-defined]
                    if response.streaming
                    else response.content
                )
                body = raw.decode(errors="replace")
                if not allowed:
                    expected = {403}
                elif which == "B":
                    expected = {404}
                else:
                    expected = {200, 302, 422}
                if response.status_code not in expected:
                    problems.append(f"{role} {which} {url}: {response.status_code} not {expected}")
                if leaks := _leaks(body, world["markers"]):
                    problems.append(f"{role} {url} shows shop B: {leaks[:3]}")
        for route, p in api_calls:
            method, needed, payload = CONSOLE_API[str(p.name)]
            allowed = "console.use_console" in perms and any(n in perms for n in needed)
            for which, ids in (("A", ids_a), ("B", ids_b)):
                if which == "B" and "<" not in route:
                    continue
                url = _fill(route, ids)
                if method == "get":
                    response = client.get(url)
                else:
                    response = client.post(
                        url, json.dumps(payload or {}), content_type="application/json"
                    )
                body = response.content.decode(errors="replace")
                if not allowed:
                    expected = {403}
                elif which == "B":
                    expected = {404}
                else:
                    expected = {200, 201, 409, 422}
                if response.status_code not in expected:
                    problems.append(f"{role} {which} {url}: {response.status_code} not {expected}")
                if leaks := _leaks(body, world["markers"]):
                    problems.append(f"{role} {url} shows shop B: {leaks[:3]}")
    assert not problems, "\n".join(problems)
    after = list(PointsAdjustment.objects.filter(member__shop=world["b"]).values("pk", "state"))
    assert after == b_state, "shop B's requests changed"


# --- the admin ---------------------------------------------------------------


def _superuser_request(shop: Shop) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_superuser=True, is_staff=True, is_active=True)
    request.current_shop_id = shop.pk  # type: ignore[attr-defined]
    return request


def _first(model: type[Model], shop: Shop) -> Model | None:
    return scope_to_shop(model._default_manager.order_by("pk"), shop.pk).first()


def test_every_admin_page_and_action_as_every_role_of_shop_a(world: dict[str, Any]) -> None:
    shop_a, shop_b = world["a"], world["b"]
    root = _superuser_request(shop_a)
    registry = list(admin.site._registry.items())
    actions_seen: set[tuple[str, str, str]] = set()
    problems: list[str] = []
    for role in ROLES:
        perms = role_permissions(role)
        client = _client(world["operators"][role])
        index = client.get("/admin/")
        if index.status_code != 200 or _leaks(index.content.decode(), world["markers"]):
            problems.append(f"{role} /admin/: {index.status_code}")
        for model, model_admin in registry:
            opts = model._meta
            label = f"{opts.app_label}.{opts.model_name}"
            can_view = f"{opts.app_label}.view_{opts.model_name}" in perms or (
                f"{opts.app_label}.change_{opts.model_name}" in perms
            )
            if opts.app_label in SUPERUSER_ONLY_APPS:
                # sign-in throttling records (axes) and the like: of no shop,
                # for superusers only; no role may even see them
                assert not can_view, f"{role} may see {label}, which is superuser-only"
            base = f"/admin/{opts.app_label}/{opts.model_name}/"
            pages: list[tuple[str, set[int]]] = [(base, {200} if can_view else {403})]
            may_add = model_admin.has_add_permission(root) and (
                f"{opts.app_label}.add_{opts.model_name}" in perms
            )
            pages.append((f"{base}add/", {200} if may_add else {403}))
            own = _first(model, shop_a)
            if own is not None:
                pages.append((f"{base}{own.pk}/change/", {200} if can_view else {403}))
            theirs = _first(model, shop_b)
            if theirs is not None and shop_path(model) is not None:
                # not found in shop A: sent back, never shown
                pages.append((f"{base}{theirs.pk}/change/", {302} if can_view else {403}))
                # (Django looks the object up before the permission here)
                pages.append((f"{base}{theirs.pk}/history/", {302}))
            for url, expected in pages:
                response = client.get(url)
                if response.status_code not in expected:
                    problems.append(f"{role} {url}: {response.status_code} not {expected}")
                if leaks := _leaks(response.content.decode(errors="replace"), world["markers"]):
                    problems.append(f"{role} {url} shows shop B: {leaks[:3]}")
            # actions: offered and run exactly for the roles the table allows
            for _func, name, _desc in model_admin._get_base_actions():  # type: ignore[attr-defined]
                key = (opts.app_label, str(opts.model_name), name)
                actions_seen.add(key)
                if opts.app_label in SUPERUSER_ONLY_APPS:
                    # (axes' own actions carry no permission: the page decides)
                    needed, at_all = f"{opts.app_label}.superuser_only", False
                elif name == "delete_selected":
                    needed = f"{opts.app_label}.delete_{opts.model_name}"
                    at_all = model_admin.has_delete_permission(root)
                else:
                    assert key in ACTION_PERMS, f"admin action {key} is unknown to this walk"
                    needed, at_all = ACTION_PERMS[key], True
                allowed = at_all and can_view and needed in perms
                targets = [o for o in (own, theirs) if o is not None]
                for target in targets:
                    response = client.post(
                        base, {"action": name, "_selected_action": [target.pk], "index": 0}
                    )
                    # the confirmation page (ours or Django's delete one) for this object
                    asked = response.status_code == 200 and (
                        f'name="_selected_action" value="{target.pk}"'.encode() in response.content
                    )
                    of_a = target is own
                    if allowed and of_a and not asked and name == "delete_selected":
                        # Django's page saying protected rows forbid the delete
                        asked = b"delete-selected-confirmation" in response.content
                    if asked != (allowed and of_a):
                        problems.append(
                            f"{role} action {name} on {label} #{target.pk} "
                            f"({'A' if of_a else 'B'}): {response.status_code}, asked={asked}"
                        )
                    if leaks := _leaks(response.content.decode(errors="replace"), world["markers"]):
                        problems.append(f"{role} action {name} shows shop B: {leaks[:3]}")
    assert not problems, "\n".join(problems)
    assert {
        k for k in actions_seen if k[2] != "delete_selected" and k[0] not in SUPERUSER_ONLY_APPS
    } == set(ACTION_PERMS)


def test_superuser_only_admin_pages_are_for_superusers(world: dict[str, Any]) -> None:
    """The sign-in throttling records (django-axes: attempts by user name and
    address across every shop) are no shop's data: superusers see them, no
    shop role does, not even a shop's admin."""
    root = User.objects.create_superuser("walk-root", password="pw")
    superuser = _client(root)
    only = [
        (model, f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        for model in admin.site._registry
        if model._meta.app_label in SUPERUSER_ONLY_APPS
    ]
    assert {m._meta.app_label for m, _url in only} >= {"axes"}
    for model, url in only:
        assert superuser.get(url).status_code == 200, url
        for role in ROLES:
            assert not any(
                p.startswith(f"{model._meta.app_label}.") for p in role_permissions(role)
            ), role
            assert _client(world["operators"][role]).get(url).status_code == 403, (role, url)


def test_the_sso_secrets_page_is_the_current_shops_only(world: dict[str, Any]) -> None:
    """A shop's admin sees and replaces their own shop's portal sign-in secret,
    never another shop's, whatever the form says."""
    from patron.core.models import AuditLog
    from patron.portal.models import ShopSignInSecret

    b_secret = ShopSignInSecret.objects.get(shop=world["b"]).secret
    client = _client(world["operators"]["admin"])
    page = client.get(reverse("console:sso_secrets")).content.decode()
    assert "Shop A" in page and "Shop Bravo" not in page
    audited = AuditLog.objects.filter(action__startswith="portal.sso").count()
    for action in ("show", "rotate"):
        response = client.post(
            reverse("console:sso_secrets"),
            {"shop": world["b"].pk, "action": action, "confirm": "1"},
        )
        assert response.status_code == 403, action
        assert b_secret not in response.content.decode()
    assert ShopSignInSecret.objects.get(shop=world["b"]).secret == b_secret
    assert AuditLog.objects.filter(action__startswith="portal.sso").count() == audited
    shown = client.post(reverse("console:sso_secrets"), {"shop": world["a"].pk, "action": "show"})
    assert shown.status_code == 200
    a_secret = ShopSignInSecret.objects.get(shop=world["a"]).secret
    assert a_secret in shown.content.decode()
    # the service checks the role in the shop too, whatever page calls it
    from patron.core.errors import PatronError
    from patron.portal.services import sign_in_secret_get, sign_in_secret_rotate

    admin_a = User.objects.get(pk=world["operators"]["admin"].pk)
    for call in (sign_in_secret_get, sign_in_secret_rotate):
        with pytest.raises(PatronError):
            call(shop=world["b"], actor=admin_a, via="console")
    assert ShopSignInSecret.objects.get(shop=world["b"]).secret == b_secret


def test_a_confirmed_admin_action_of_a_role_without_the_permission_changes_nothing(
    world: dict[str, Any],
) -> None:
    """Posting the confirmation directly (as a forged form would) runs nothing."""
    from patron.core.models import AuditLog
    from patron.tiers.models import Tier

    tier = Tier.objects.filter(shop=world["a"], is_active=True).order_by("-rank").first()
    assert tier is not None
    for role in ("analyst", "service_agent", "service_lead", "finance"):
        _client(world["operators"][role]).post(
            reverse("admin:tiers_tier_changelist"),
            {"action": "retire", "_selected_action": [tier.pk], "post": "yes"},
        )
        tier.refresh_from_db()
        assert tier.is_active, role
    assert not AuditLog.objects.filter(action="tier.retire").exists()
    _client(world["operators"]["marketing"]).post(
        reverse("admin:tiers_tier_changelist"),
        {"action": "retire", "_selected_action": [tier.pk], "post": "yes"},
    )
    tier.refresh_from_db()
    assert not tier.is_active
    assert AuditLog.objects.get(action="tier.retire").actor == world["operators"]["marketing"]
