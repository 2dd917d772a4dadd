"""The Django admin: audited member changes, read-only audit log, API keys, roles."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from patron.core.models import ApiKey, AuditLog, Shop
from patron.core.tests.factories import UserFactory
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", "pw-for-tests-only")


@pytest.fixture
def admin_client(superuser: User) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


def _member_form(member: Member, **changes: Any) -> dict[str, Any]:
    data = {
        "shop": member.shop_id,
        "external_id": member.external_id,
        "name": member.name,
        "phone": member.phone,
        "email": member.email,
        "birthday": "",
        "gender": member.gender,
        "registered_at_0": "2026-01-01",
        "registered_at_1": "10:00:00",
        "registration_channel": member.registration_channel,
        "language": member.language,
        "consent_in_app": "on",
        "_save": "Save",
    }
    data.update(changes)
    return data


def test_admin_member_change_is_audited_with_before_and_after(
    admin_client: Client, superuser: User, shop: Shop
):
    member = MemberFactory.create(shop=shop, external_id="M1", name="张伟")
    url = f"/admin/members/member/{member.pk}/change/"
    response = admin_client.post(url, _member_form(member, name="张伟伟"))
    assert response.status_code == 302, response.content
    member.refresh_from_db()
    assert member.name == "张伟伟"
    entry = AuditLog.objects.get(action="member.change")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        superuser,
        "members.member",
        str(member.pk),
    )
    assert entry.before is not None and entry.after is not None
    assert (entry.before["name"], entry.after["name"]) == ("张伟", "张伟伟")
    assert entry.before["external_id"] == entry.after["external_id"] == "M1"


def test_admin_member_create_and_delete_are_audited(admin_client: Client, shop: Shop):
    member = MemberFactory.build(shop=shop, external_id="M2")
    response = admin_client.post(
        "/admin/members/member/add/",
        _member_form(member, phone="139 0000 1111"),
    )
    assert response.status_code == 302, response.content
    created = Member.objects.get(external_id="M2")
    assert created.phone == "+8613900001111"  # normalised like the API does
    entry = AuditLog.objects.get(action="member.create")
    assert entry.before is None
    assert entry.after is not None and entry.after["external_id"] == "M2"
    # The audit log is read by roles without PII rights: it keeps phones masked.
    assert entry.after["phone"] == "+86 139****1111"
    assert "13900001111" not in str(entry.after)
    response = admin_client.post(f"/admin/members/member/{created.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = AuditLog.objects.get(action="member.delete")
    assert deleted.before is not None and deleted.before["external_id"] == "M2"
    assert Member.objects.count() == 0


def test_audit_log_admin_refuses_add_change_and_delete(admin_client: Client, shop: Shop):
    member = MemberFactory.create(shop=shop)
    admin_client.post(f"/admin/members/member/{member.pk}/change/", _member_form(member, name="x"))
    entry = AuditLog.objects.get()
    assert admin_client.get("/admin/core/auditlog/").status_code == 200
    assert admin_client.get("/admin/core/auditlog/add/").status_code == 403
    assert admin_client.post("/admin/core/auditlog/add/", {"action": "x"}).status_code == 403
    change = admin_client.post(
        f"/admin/core/auditlog/{entry.pk}/change/", {"action": "forged", "actor_label": "x"}
    )
    assert change.status_code == 403
    delete = admin_client.post(f"/admin/core/auditlog/{entry.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    bulk = admin_client.post(
        "/admin/core/auditlog/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.action == "member.change"
    assert AuditLog.objects.count() == 1


def test_api_key_created_and_revoked_in_the_admin_is_audited(
    admin_client: Client, superuser: User, shop: Shop
):
    response = admin_client.post(
        "/admin/core/apikey/add/",
        {"shop": shop.pk, "name": "erp", "scopes": '["events:write"]'},
        follow=True,
    )
    assert response.status_code == 200
    key = ApiKey.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    assert any("ptn_" + key.prefix in m for m in shown)
    admin_client.post(
        "/admin/core/apikey/",
        {"action": "revoke", "_selected_action": [key.pk], "post": "yes"},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert list(AuditLog.objects.order_by("id").values_list("action", "actor")) == [
        ("api_key.create", superuser.pk),
        ("api_key.revoke", superuser.pk),
    ]


def test_admin_member_change_refuses_a_landline(admin_client: Client, shop: Shop):
    member = MemberFactory.create(shop=shop, phone="+8613812345678")
    url = f"/admin/members/member/{member.pk}/change/"
    response = admin_client.post(url, _member_form(member, phone="020 1234 5678"))
    assert response.status_code == 200  # the form again, with the error
    assert "mainland China number must be a mobile" in response.content.decode()
    member.refresh_from_db()
    assert member.phone == "+8613812345678"
    assert AuditLog.objects.count() == 0


def test_admin_member_change_moves_updated_at(admin_client: Client, shop: Shop):
    import datetime as dt

    from patron.core import clock

    clock.freeze(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    member = MemberFactory.create(shop=shop)
    clock.advance(dt.timedelta(days=1))
    admin_client.post(f"/admin/members/member/{member.pk}/change/", _member_form(member, name="y"))
    member.refresh_from_db()
    assert member.updated_at == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert member.created_at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


# --- roles and PII masking in the member admin ------------------------------------


@pytest.fixture
def roles() -> None:
    call_command("sync_roles", verbosity=0)


@pytest.fixture
def member_with_pii(shop: Shop) -> Member:
    return MemberFactory.create(
        shop=shop, external_id="M1", phone="+8613812345678", email="zhang.wei@example.com"
    )


def _client_for(role: str) -> Client:
    client = Client()
    client.force_login(UserFactory.create(username=role, role=role))
    return client


@pytest.mark.parametrize(
    "role", ["marketing", "finance", "analyst", "service_agent", "service_lead"]
)
def test_changelist_masks_phone_and_email_for_every_role(
    roles: None, member_with_pii: Member, role: str
):
    page = _client_for(role).get("/admin/members/member/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "M1" in html
    assert "+86 138****5678" in html
    assert "z***@example.com" in html
    assert "13812345678" not in html
    assert "zhang.wei@example.com" not in html


@pytest.mark.parametrize(
    ("role", "sees_pii"),
    [
        ("marketing", False),
        ("finance", False),
        ("analyst", False),
        ("service_agent", True),
        ("service_lead", True),
    ],
)
def test_member_page_shows_full_pii_only_to_roles_with_the_permission(
    roles: None, member_with_pii: Member, role: str, sees_pii: bool
):
    page = _client_for(role).get(f"/admin/members/member/{member_with_pii.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ("+8613812345678" in html) is sees_pii
    assert ("zhang.wei@example.com" in html) is sees_pii


def test_marketing_edit_without_pii_fields_keeps_the_phone(roles: None, member_with_pii: Member):
    client = _client_for("marketing")
    form = _member_form(member_with_pii, name="新名字")
    del form["phone"], form["email"]
    response = client.post(f"/admin/members/member/{member_with_pii.pk}/change/", form)
    assert response.status_code == 302, response.content
    member_with_pii.refresh_from_db()
    assert (member_with_pii.name, member_with_pii.phone) == ("新名字", "+8613812345678")
    assert AuditLog.objects.get().actor_label == "marketing"


def test_roles_without_change_permission_cannot_edit(roles: None, member_with_pii: Member):
    response = _client_for("service_agent").post(
        f"/admin/members/member/{member_with_pii.pk}/change/",
        _member_form(member_with_pii, name="x"),
    )
    assert response.status_code == 403
    member_with_pii.refresh_from_db()
    assert member_with_pii.name == "张伟"
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize("role", ["marketing", "service_lead"])
def test_no_role_can_move_a_member_to_another_shop_or_id(
    roles: None, member_with_pii: Member, role: str
):
    other = Shop.objects.create(name="Other Shop")
    original_shop = member_with_pii.shop_id
    form = _member_form(member_with_pii, shop=other.pk, external_id="M-NEW", name="新名字")
    del form["phone"], form["email"]
    response = _client_for(role).post(f"/admin/members/member/{member_with_pii.pk}/change/", form)
    assert response.status_code == 302, response.content
    member_with_pii.refresh_from_db()
    assert (member_with_pii.shop_id, member_with_pii.external_id) == (original_shop, "M1")
    assert member_with_pii.name == "新名字"
    page = _client_for(role).get(f"/admin/members/member/{member_with_pii.pk}/change/")
    assert 'name="external_id"' not in page.content.decode()
    assert 'name="shop"' not in page.content.decode()


def test_a_new_member_still_gets_a_shop_and_an_id_in_the_admin(admin_client: Client, shop: Shop):
    page = admin_client.get("/admin/members/member/add/").content.decode()
    assert 'name="external_id"' in page
    assert 'name="shop"' in page
