"""The console page where an administrator shows or replaces a shop's portal
sign-in secret: admin only, every read and replacement audited."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from patron.core import clock
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.portal import services
from patron.portal.models import ShopSignInSecret

pytestmark = pytest.mark.django_db
URL = "/console/sso-secrets/"


def test_only_the_admin_role_may_show_or_replace_a_secret(as_role: Any, shop: Shop) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    before = AuditLog.objects.count()
    for role in ["marketing", "finance", "service_agent", "service_lead", "analyst"]:
        client = as_role(role)
        assert client.get(URL).status_code == 403, role
        for action in ("show", "rotate"):
            response = client.post(URL, {"shop": shop.pk, "action": action, "confirm": "1"})
            assert response.status_code == 403, (role, action)
            assert secret not in response.content.decode()
    assert ShopSignInSecret.objects.get().secret == secret
    assert AuditLog.objects.count() == before


def test_the_admin_shows_the_secret_and_the_read_is_audited(as_role: Any, shop: Shop) -> None:
    secret = services.sign_in_secret_rotate(shop=shop)
    client = as_role("admin")
    page = client.get(URL)
    assert page.status_code == 200
    assert secret not in page.content.decode()  # not shown until asked for
    assert "Test Shop" in page.content.decode()
    shown = client.post(URL, {"shop": shop.pk, "action": "show"})
    assert shown.status_code == 200
    assert secret in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    entry = AuditLog.objects.filter(action="portal.sso_secret_view").get()
    assert (entry.actor_label, entry.object_id, entry.reason) == ("admin", str(shop.pk), "console")
    assert secret not in str(entry.after) + str(entry.before)


def test_replacing_needs_a_confirmation_then_old_links_stop_working(
    as_role: Any, shop: Shop
) -> None:
    old = services.sign_in_secret_rotate(shop=shop)
    client = as_role("admin")
    unconfirmed = client.post(URL, {"shop": shop.pk, "action": "rotate"})
    assert unconfirmed.status_code == 422
    assert ShopSignInSecret.objects.get().secret == old
    rotated = client.post(URL, {"shop": shop.pk, "action": "rotate", "confirm": "1"})
    assert rotated.status_code == 200
    new = ShopSignInSecret.objects.get().secret
    assert new != old and new in rotated.content.decode()
    entry = AuditLog.objects.filter(action="portal.sso_secret_rotate").get()
    assert entry.actor_label == "admin"
    assert old not in str(entry.after) and new not in str(entry.after)
    # a link signed with the old secret is refused, one with the new works
    Member.objects.create(
        shop=shop,
        external_id="M1",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    from django.test import Client

    now = int(clock.now().timestamp())
    for secret, nonce, status in ((old, "n-old", 403), (new, "n-new", 302)):
        sig = services.link_signature(
            secret=secret, shop_id=shop.pk, member="M1", ts=now, nonce=nonce
        )
        link = f"/sso?shop={shop.pk}&member=M1&ts={now}&nonce={nonce}&sig={sig}"
        assert Client().get(link).status_code == status


@pytest.mark.parametrize("shop_field", ["", "x", "²", "99999999999999999999999", "0"])
def test_a_bad_shop_is_a_message_not_a_500(as_role: Any, shop: Shop, shop_field: str) -> None:
    response = as_role("admin").post(URL, {"shop": shop_field, "action": "show"})
    assert response.status_code == 422
    assert AuditLog.objects.filter(action__startswith="portal.sso").count() == 0


def test_the_command_prints_the_secret_and_rotates_it(shop: Shop) -> None:
    out = io.StringIO()
    call_command("sso_secret", "--shop", "Test Shop", stdout=out, stderr=io.StringIO())
    first = out.getvalue().strip()
    assert first == ShopSignInSecret.objects.get(shop=shop).secret
    out = io.StringIO()
    call_command("sso_secret", "--shop", "Test Shop", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == first  # get, not a new one
    out = io.StringIO()
    call_command("sso_secret", "--shop", "Test Shop", "--rotate", stdout=out, stderr=io.StringIO())
    rotated = out.getvalue().strip()
    assert rotated != first
    assert rotated == ShopSignInSecret.objects.get(shop=shop).secret
    actions = list(
        AuditLog.objects.filter(action__startswith="portal.sso")
        .order_by("pk")
        .values_list("action", "reason")
    )
    assert actions == [
        ("portal.sso_secret_create", "patron sso-secret"),
        ("portal.sso_secret_view", "patron sso-secret"),
        ("portal.sso_secret_rotate", "patron sso-secret"),
    ]
    with pytest.raises(CommandError, match="no shop named 'Nope'"):
        call_command("sso_secret", "--shop", "Nope", stdout=io.StringIO())
