"""The shop API's guard rails: API keys and scopes, and no 500 for any input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.core import services
from patron.core.models import ApiKey, ApiScope
from patron.core.tests.client import ApiClient
from patron.events.schemas import KNOWN_TYPES
from patron.events.tests.factories import event, paid_data
from patron.members.tests.factories import MemberFactory
from patron.tests.factories import row_counts

ENDPOINTS = [
    pytest.param("get", "/api/v1/members/M1", None, "members:read", id="GET member"),
    pytest.param(
        "post", "/api/v1/members", {"external_id": "M9"}, "members:write", id="POST members"
    ),
    pytest.param(
        "post", "/api/v1/events", event("custom.x", member="M1"), "events:write", id="POST event"
    ),
    pytest.param(
        "post",
        "/api/v1/events/batch",
        {"events": [event("custom.x", member="M1")]},
        "events:write",
        id="POST batch",
    ),
]


@pytest.fixture
def member(shop: Any) -> Any:
    return MemberFactory.create(shop=shop, external_id="M1")


def _call(client: ApiClient, method: str, path: str, body: Any) -> Any:
    return client.get(path) if method == "get" else client.post(path, body)


def _assert_refused(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_missing_key_is_401(member: Any, method: str, path: str, body: Any, scope: str):
    client = Client()
    before = row_counts()
    if method == "get":
        response = client.get(path)
    else:
        response = client.post(path, json.dumps(body), content_type="application/json")
    _assert_refused(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"] == "Bearer"
    assert row_counts() == before


@pytest.mark.parametrize(
    "token",
    [
        "ptn_000000000000_not-the-secret",
        "ptn_nosuchprefix_x",
        "garbage",
        "ptn__",
        "",
    ],
)
@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_wrong_key_is_401(
    api: ApiClient, member: Any, token: str, method: str, path: str, body: Any, scope: str
):
    real_prefix = api.token.split("_")[1]
    token = token.replace("000000000000", real_prefix)
    before = row_counts()
    _assert_refused(_call(ApiClient(token), method, path, body), 401, "unauthenticated")
    assert row_counts() == before


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_revoked_key_is_401(shop: Any, member: Any, method: str, path: str, body: Any, scope: str):
    created = services.api_key_create(shop=shop, name="k", scopes=ApiScope.values)
    client = ApiClient(created.token)
    assert _call(client, "get", "/api/v1/members/M1", None).status_code == 200
    services.api_key_revoke(api_key=created.api_key, actor=None)
    before = row_counts()
    _assert_refused(_call(client, method, path, body), 401, "unauthenticated")
    assert row_counts() == before


@pytest.mark.parametrize(("method", "path", "body", "scope"), ENDPOINTS)
def test_key_without_the_scope_is_403(
    make_api: Any, member: Any, method: str, path: str, body: Any, scope: str
):
    lacking = make_api(*[s for s in ApiScope.values if s != scope])
    before = row_counts()
    response = _call(lacking, method, path, body)
    _assert_refused(response, 403, "forbidden")
    assert scope in response.json()["detail"]
    assert row_counts() == before
    # and the same key with only that scope gets through
    assert _call(make_api(scope), method, path, body).status_code in (200, 201)


def test_last_used_at_is_recorded(api: ApiClient, member: Any):
    assert ApiKey.objects.get().last_used_at is None
    api.get("/api/v1/members/M1")
    assert ApiKey.objects.get().last_used_at is not None


# --- nothing a client sends produces a 500 ------------------------------------


def any_text(max_size: int) -> st.SearchStrategy[str]:
    """Text including NUL and unpaired surrogates, which no database stores."""
    return st.text(st.characters(exclude_categories=()), max_size=max_size)


# Floats include NaN and ±Infinity: the API must refuse them with a 422, not store
# them (SQLite) or fail in the database (PostgreSQL jsonb).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | any_text(5),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text(12), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "order_id", "refund_id", "lines", "line_id", "sku", "quantity", "unit_price",
        "paid_amount", "shipping_fee", "currency", "placed_at", "coupon_codes", "name",
        "phone", "email", "birthday", "gender", "channel", "language", "consents",
        "review_id", "rating", "has_photos", "url", "note",
    ]
)  # fmt: skip
event_shaped = st.fixed_dictionaries(
    {
        "id": st.text(max_size=8) | json_values,
        "type": st.sampled_from([*KNOWN_TYPES, "custom.x", "custom.", "nope"]) | json_values,
        "member": st.sampled_from(["M1", "M2", ""]) | json_values,
        "occurred_at": st.sampled_from(
            ["2026-11-11T10:00:00+08:00", "2026-11-11T10:00:00", "9999-12-31T23:59:59+14:00"]
        )
        | st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
        | json_values,
        "data": st.dictionaries(field_names, json_values, max_size=6)
        | st.just(paid_data("O1"))
        | json_values,
    },
    optional={"extra": json_values},
)
member_shaped = st.dictionaries(
    st.sampled_from(
        ["external_id", "name", "phone", "email", "birthday", "gender", "registered_at",
         "registration_channel", "language", "consents"]
    ),
    json_values,
)  # fmt: skip

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=event_shaped | json_values)
def test_random_events_never_get_a_500(api: ApiClient, member: Any, body: Any):
    response = api.post("/api/v1/events", body)
    assert response.status_code < 500, response.content
    batch = api.post("/api/v1/events/batch", {"events": [body, body]})
    assert batch.status_code < 500, batch.content


@FUZZ
@given(body=member_shaped | json_values)
def test_random_members_never_get_a_500(api: ApiClient, body: Any):
    response = api.post("/api/v1/members", body)
    assert response.status_code < 500, response.content


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200), key=st.text(max_size=300))
def test_random_bytes_and_keys_never_get_a_500(api: ApiClient, raw: Any, key: str):
    headers = {"Idempotency-Key": key} if key.isprintable() and key.isascii() else {}
    for path in ("/api/v1/events", "/api/v1/members", "/api/v1/events/batch"):
        response = api.post(path, raw=raw, headers=headers)
        assert response.status_code < 500, response.content
