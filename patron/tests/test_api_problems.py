"""Every refusal under /api/ is problem+json with the right status: a key
without the scope gets 403 on every operation whatever it sends, and the
answers Django and django-ninja give before Patron's code runs (unknown path,
wrong method, oversize or unreadable body, a crash) are problem documents too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from patron.api import api
from patron.core.api import ApiKeyAuth
from patron.core.models import ApiScope
from patron.core.tests.client import ApiClient
from patron.members.tests.factories import MemberFactory
from patron.tests.factories import row_counts

PROBLEM = "application/problem+json"


def _operations() -> Iterator[tuple[str, str, ApiScope | None]]:
    """(method, path with sample path values, required scope) of every operation."""
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                scopes = [getattr(a, "scope", None) for a in operation.auth_callbacks]
                url = "/api" + prefix + path
                url = url.replace("{external_id}", "M1").replace("{sale_id}", "1")
                url = url.replace("{redemption_id}", "1")
                url = url.replace("{subscription_id}", "1").replace("{delivery_id}", "1")
                for method in operation.methods:
                    yield method, url, scopes[0] if scopes else None


OPERATIONS = list(_operations())


def test_every_operation_names_one_scope_in_its_auth() -> None:
    assert len(OPERATIONS) >= 19
    for method, url, scope in OPERATIONS:
        assert scope is not None, f"{method} {url} checks no scope before reading the request"
    assert all(
        isinstance(cb, ApiKeyAuth)
        for _prefix, router in api._routers
        for pv in router.path_operations.values()
        for op in pv.operations
        for cb in op.auth_callbacks
    )


@pytest.mark.parametrize(
    ("method", "url", "scope"), OPERATIONS, ids=[f"{m} {u}" for m, u, _s in OPERATIONS]
)
def test_a_key_without_the_scope_gets_403_whatever_it_sends(
    make_api: Any, shop: Any, method: str, url: str, scope: ApiScope
) -> None:
    MemberFactory.create(shop=shop, external_id="M1")
    lacking = make_api(*[s for s in ApiScope.values if s != scope])
    before = row_counts()
    bodies: tuple[Any, ...] = ({"not": "what this takes"}, [], "junk")
    for body in bodies:
        if method == "GET":
            response = lacking.client.get(
                url, {"limit": "x", "before": "y"}, headers=lacking._headers(None)
            )
        else:
            response = lacking.client.generic(
                method,
                url,
                json.dumps(body),
                content_type="application/json",
                headers=lacking._headers(None),
            )
        assert response.status_code == 403, (body, response.content)
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "forbidden"
        assert scope.value in response.json()["detail"]
    assert row_counts() == before


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM, response.content
    body: dict[str, Any] = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def test_an_unknown_path_is_a_404_problem(api: ApiClient) -> None:
    for path in ("/api/v1/nope", "/api/nope", "/api/v1/members/M1/nope", "/api/v2/members"):
        _problem(api.get(path), 404, "not_found")
    _problem(Client().get("/api/v1/nope"), 404, "not_found")


def test_a_wrong_method_is_a_405_problem_that_says_what_is_allowed(api: ApiClient) -> None:
    response = api.get("/api/v1/events")
    body = _problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert "POST" in body["detail"]
    _problem(api.client.delete("/api/v1/members/M1", headers=api._headers(None)), 405,
             "method_not_allowed")  # fmt: skip


def test_an_oversize_body_is_a_413_problem(api: ApiClient, settings: Any) -> None:
    settings.PATRON_API_MAX_BODY_BYTES = 100
    response = api.post("/api/v1/events", raw="x" * 200)
    assert _problem(response, 413, "body_too_large")["field"] == "body"


def test_malformed_json_and_invalid_input_are_problems(api: ApiClient) -> None:
    assert _problem(api.post("/api/v1/members", raw="{"), 400, "malformed_json")["field"] == "body"
    invalid = _problem(api.post("/api/v1/members", {"external_id": 5}), 422, "validation_error")
    assert invalid["field"] == "external_id"


def test_a_bug_is_a_500_internal_error_problem_not_a_conflict(
    api: ApiClient, monkeypatch: Any
) -> None:
    from patron.members import services

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(services, "member_upsert", broken)
    response = api.post("/api/v1/members", {"external_id": "M9"})
    body = _problem(response, 500, "internal_error")
    assert "a bug" not in json.dumps(body)


def test_a_crash_outside_the_api_handlers_is_a_problem_too(
    api: ApiClient, monkeypatch: Any
) -> None:
    # A fault in a middleware reaches Django's 500 handler, which answers HTML.
    from patron.core import middleware

    def broken(self: Any, request: Any) -> Any:
        raise RuntimeError("middleware bug")

    monkeypatch.setattr(middleware.ApiBodySizeMiddleware, "__call__", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/members/M1", headers=api._headers(None))
    _problem(response, 500, "internal_error")


def test_pages_outside_the_api_keep_their_html_errors(db: Any) -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
