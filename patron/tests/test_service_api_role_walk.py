"""One walk over every endpoint of the shop API's service desk, read from
the API's own route list: a new endpoint under ``/api/v1/service/`` fails
``test_every_service_endpoint_has_a_row`` until a row is added to ``ROWS``.

The shop API answers to API keys only (the shop's backend, Patron itself in
``require_perm``'s words): without a key 401, with a key lacking the
``service`` scope 403, and an operator signed in to the console (any role:
agent of the team or of another, lead, analyst, none) is no caller at all,
401. The roles of operators are the console's
(``console/tests/test_service_role_walk.py``).

To add a row: the key is (method, path as in the OpenAPI document); the row
says how to fill the path (``path``, from the walk's ``Desk``), the body,
and the status a key with the scope gets (a valid request)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client

from patron.core import clock
from patron.core import services as core_services
from patron.core.models import ApiScope, Shop
from patron.core.tests.client import ApiClient
from patron.members.models import Member
from patron.service.models import OrderChangeRequest, ReturnRequest, ReturnStep, TicketEntry
from patron.service.tests.role_walk import ROLES, Desk, desk_build

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(shop: Shop) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id="m1", name="李雷", registered_at=now, created_at=now, updated_at=now
    )


PREFIX = "/api/v1/service/"


@dataclass(frozen=True)
class Row:
    ok: int
    body: Callable[[Desk], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)


def _reply(d: Desk) -> dict[str, Any]:
    return {"agent_id": d.agents["agent"].pk, "text": "可以退"}


ROWS: dict[tuple[str, str], Row] = {
    ("GET", "/api/v1/service/tickets"): Row(200, query={"status": "new"}),
    ("POST", "/api/v1/service/tickets"): Row(
        201, lambda d: {"member": d.member.external_id, "subject": "s", "text": "t"}
    ),
    ("GET", "/api/v1/service/tickets/{number}"): Row(200),
    ("POST", "/api/v1/service/tickets/{number}/replies"): Row(201, _reply),
    ("POST", "/api/v1/service/messages"): Row(
        201, lambda d: {"channel": "wechat", "message_id": "w1", "sender_id": "u1", "text": "在吗"}
    ),
    ("GET", "/api/v1/service/returns"): Row(200),
    ("POST", "/api/v1/service/returns"): Row(
        201,
        lambda d: {
            "member": d.member.external_id,
            "order_id": "O1",
            "lines": [{"line_id": "L1", "quantity": 1}],
            "kind": "exchange",
            "reason": "size",
        },
    ),
    ("GET", "/api/v1/service/returns/{return_id}"): Row(200),
    ("POST", "/api/v1/service/returns/{return_id}/transitions"): Row(
        200, lambda d: {"action": "approve"}
    ),
    ("POST", "/api/v1/service/order-changes"): Row(
        201,
        lambda d: {
            "member": d.member.external_id,
            "order_id": "O2",
            "kind": "phone",
            "value": "13800000000",
        },
    ),
    ("GET", "/api/v1/service/order-changes/{change_id}"): Row(200),
    ("POST", "/api/v1/service/order-changes/{change_id}/answer"): Row(
        200, lambda d: {"accepted": True}
    ),
}


def service_endpoints() -> set[tuple[str, str]]:
    """Every (method, path) of the shop API under /api/v1/service/, from
    the OpenAPI document the API builds from its routers (nested ones too)."""
    from patron.api import api

    paths = api.get_openapi_schema()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith(PREFIX)
        or any("service" in op.get("tags", []) for op in operations.values())
        for method in operations
    }


def test_every_service_endpoint_has_a_row() -> None:
    found = service_endpoints()
    missing = sorted(found - set(ROWS))
    assert not missing, f"add a row to ROWS in {__name__} for: {missing}"
    assert not set(ROWS) - found, "ROWS names endpoints that are gone"
    assert len(found) >= 12  # the walk walks something


def _url(path: str, desk: Desk) -> str:
    return (
        path.replace("{number}", str(desk.ticket.number))
        .replace("{return_id}", str(desk.returned.pk))
        .replace("{change_id}", str(desk.change.pk))
    )


def _counts() -> tuple[int, ...]:
    return (
        TicketEntry.objects.count(),
        ReturnRequest.objects.count(),
        ReturnStep.objects.count(),
        OrderChangeRequest.objects.filter(state="requested").count(),
    )


def _call(client: Any, method: str, url: str, row: Row, desk: Desk) -> Any:
    if method == "GET":
        return (
            client.get(url, **row.query)
            if isinstance(client, ApiClient)
            else client.get(url, row.query)
        )
    body = row.body(desk) if row.body else {}
    if isinstance(client, ApiClient):
        return client.post(url, body)
    import json

    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(("method", "path"), sorted(ROWS))
def test_each_caller_gets_its_status(shop: Shop, member: Member, method: str, path: str) -> None:
    desk = desk_build(shop, member)
    row = ROWS[(method, path)]
    url = _url(path, desk)
    before = _counts()

    def key(*scopes: str) -> ApiClient:
        return ApiClient(core_services.api_key_create(shop=shop, name="k", scopes=scopes).token)

    refused: list[tuple[str, Any, int]] = [
        ("no key", ApiClient("not-a-key"), 401),
        ("key with every other scope", key(*(s for s in ApiScope.values if s != "service")), 403),
    ]
    for role in ROLES:
        signed_in = Client()
        signed_in.force_login(desk.users[role])
        refused.append((f"console {role}", signed_in, 401))
    for who, client, status in refused:
        response = _call(client, method, url, row, desk)
        assert response.status_code == status, (who, method, path, response.content[:300])
        assert response["Content-Type"] == "application/problem+json", who
    assert _counts() == before, "a refused call changed something"

    response = _call(key(ApiScope.SERVICE), method, url, row, desk)
    assert response.status_code == row.ok, (method, path, response.content[:500])
