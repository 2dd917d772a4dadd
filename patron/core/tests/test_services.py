"""API keys (hashed, scoped, revocable, audited), the audit log and roles."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import connection

from patron.core import services
from patron.core.errors import PatronError
from patron.core.models import ApiKey, AuditLog, Shop
from patron.core.tests.client import ApiClient
from patron.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _all_text_in_db() -> str:
    """Every api key and audit row as text, as someone with a DB dump would see it."""
    rows = list(ApiKey.objects.values()) + list(AuditLog.objects.values())
    return json.dumps(rows, default=str)


def test_api_key_secret_is_stored_hashed_only(shop: Shop):
    created = services.api_key_create(shop=shop, name="erp", scopes=["events:write"])
    _, prefix, secret = created.token.split("_", 2)
    key = ApiKey.objects.get()
    assert created.token.startswith("ptn_")
    assert key.prefix == prefix
    assert secret not in _all_text_in_db()
    assert created.token not in _all_text_in_db()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_hash FROM core_apikey")
        (stored,) = cursor.fetchone()
    assert len(stored) == 64 and stored != secret
    assert services.api_key_authenticate(created.token) == key


def test_api_key_create_is_audited_without_the_secret(shop: Shop):
    operator = UserFactory.create(username="ops")
    created = services.api_key_create(
        shop=shop, name="erp", scopes=["members:read", "events:write"], actor=operator
    )
    entry = AuditLog.objects.get()
    assert (entry.action, entry.actor, entry.actor_label) == ("api_key.create", operator, "ops")
    assert entry.object_id == str(created.api_key.pk)
    assert entry.after == {
        "name": "erp",
        "shop": shop.name,
        "scopes": ["events:write", "members:read"],
        "prefix": created.api_key.prefix,
    }


def test_api_key_revoke_is_audited_once(shop: Shop):
    created = services.api_key_create(shop=shop, name="erp", scopes=["events:write"])
    services.api_key_revoke(api_key=created.api_key, actor=None)
    services.api_key_revoke(api_key=created.api_key, actor=None)  # already revoked: no second entry
    assert list(AuditLog.objects.order_by("id").values_list("action", "actor_label")) == [
        ("api_key.create", "system"),
        ("api_key.revoke", "system"),
    ]
    assert services.api_key_authenticate(created.token) is None


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (["events:write", "points:steal"], "unknown scopes: points:steal"),
        (["admin"], "unknown scopes: admin"),
        ([], "at least one scope"),
    ],
)
def test_api_key_unknown_or_no_scopes_refused(shop: Shop, scopes: list[str], message: str):
    with pytest.raises(PatronError) as exc:
        services.api_key_create(shop=shop, name="x", scopes=scopes)
    assert (exc.value.field, exc.value.detail_en) == ("scopes", message)
    assert ApiKey.objects.count() == 0
    assert AuditLog.objects.count() == 0


def test_create_api_key_command_prints_a_working_token():
    out = io.StringIO()
    call_command("create_api_key", "--shop", "CLI Shop", "--scopes", "members:read", stdout=out)
    token = out.getvalue().strip()
    key = ApiKey.objects.get()
    assert (key.shop.name, key.scopes, key.name) == ("CLI Shop", ["members:read"], "cli")
    client = ApiClient(token)
    assert client.get("/api/v1/members/NOBODY").json()["code"] == "unknown_member"
    assert client.post("/api/v1/members", {"external_id": "M1"}).status_code == 403


def test_create_api_key_command_defaults_to_every_scope():
    out = io.StringIO()
    call_command("create_api_key", "--shop", "CLI Shop", stdout=out)
    from patron.core.models import ApiScope

    assert ApiKey.objects.get().scopes == sorted(ApiScope.values)


def test_create_api_key_command_refuses_unknown_scopes():
    with pytest.raises(CommandError, match="unknown scopes: everything"):
        call_command("create_api_key", "--shop", "CLI Shop", "--scopes", "everything")
    assert ApiKey.objects.count() == 0


def test_sync_roles_creates_the_six_groups_idempotently():
    out = io.StringIO()
    call_command("sync_roles", stdout=out)
    call_command("sync_roles", stdout=io.StringIO())
    names = set(Group.objects.values_list("name", flat=True))
    assert {"admin", "marketing", "finance", "service_agent", "service_lead", "analyst"} <= names
    assert Group.objects.filter(name="admin").count() == 1
    agent = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Group.objects.get(name="service_agent").permissions.all()
    }
    assert {"members.view_member", "members.view_member_pii"} <= agent
    assert "members.change_member" not in agent
    marketing = {p.codename for p in Group.objects.get(name="marketing").permissions.all()}
    assert "view_member_pii" not in marketing
    assert "change_member" in marketing
    assert "service_agent:" in out.getvalue()


def test_audit_record_is_json_safe(shop: Shop):
    import datetime as dt

    entry = services.audit_record(
        actor=None,
        action="test.thing",
        obj=shop,
        before={"at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "n": 1},
        after={"set": {1}},  # not JSON: stored as text
        reason="because",
    )
    entry.refresh_from_db()
    assert entry.before == {"at": "2026-01-01T00:00:00Z", "n": 1}  # ISO 8601, not str()
    assert entry.after == {"set": "{1}"}
    assert (entry.object_type, entry.object_id, entry.object_repr) == (
        "core.shop",
        str(shop.pk),
        "Test Shop",
    )


def test_idempotent_call_runs_once_and_replays(shop: Shop):
    calls: list[int] = []

    def handler() -> tuple[int, Any]:
        calls.append(1)
        return 201, {"n": len(calls)}

    first = services.idempotent_call(
        shop=shop, key="k", method="POST", path="/p", body=b"{}", handler=handler
    )
    second = services.idempotent_call(
        shop=shop, key="k", method="POST", path="/p", body=b"{}", handler=handler
    )
    assert first == (201, {"n": 1}, False)
    assert second == (201, {"n": 1}, True)
    assert calls == [1]
    with pytest.raises(PatronError) as exc:
        services.idempotent_call(
            shop=shop, key="k", method="POST", path="/other", body=b"{}", handler=handler
        )
    assert exc.value.code == "idempotency_key_reused"
