"""A URL naming an unknown member is a resource that does not exist: 404
problem+json ``unknown_member`` on ``/members/{external_id}`` and everything
under it, whatever the method. (A member named in a body stays 422.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.apps import apps

from patron.api import api as shop_api
from patron.members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/members/{external_id}"
# A valid body for each operation that needs one, so the answer is about the path.
BODIES: dict[str, dict[str, Any]] = {
    f"{PREFIX}/coupons/claim": {"template": "welcome"},
    f"{PREFIX}/redemptions": {"reward_id": 1, "request_id": "r-1"},
    f"{PREFIX}/redemptions/{{redemption_id}}/cancel": {"reason": "x"},
}


def _operations() -> list[tuple[str, str]]:
    paths = shop_api.get_openapi_schema()["paths"]
    return sorted(
        (method, path)
        for path, operations in paths.items()
        if path.startswith(PREFIX)
        for method in operations
    )


def _counts() -> dict[str, int]:
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models()
        if m.__module__.startswith("patron.") and m._meta.managed
    }


def test_the_walk_covers_the_member_and_its_sub_resources() -> None:
    operations = _operations()
    assert ("get", PREFIX) in operations
    assert len(operations) >= 8


@pytest.mark.parametrize(("method", "path"), _operations())
def test_an_unknown_member_in_the_path_is_404(api: Any, shop: Any, method: str, path: str):
    MemberFactory.create(shop=shop, external_id="M1")
    url = path.format(external_id="NOBODY", sale_id=1, redemption_id=1)
    before = _counts()

    if method == "get":
        response = api.get(url)
    else:
        response = api.client.generic(
            method.upper(),
            url,
            json.dumps(BODIES.get(path, {})),
            content_type="application/json",
            headers=api._headers(None),
        )

    assert response.status_code == 404, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert (problem["code"], problem["field"], problem["status"]) == (
        "unknown_member",
        "external_id",
        404,
    )
    assert _counts() == before


def test_an_unknown_member_in_a_body_stays_422(api: Any, shop: Any):
    cart = {
        "member": "NOBODY",
        "lines": [{"line_id": "1", "sku": "A", "quantity": 1, "unit_price": 100}],
    }
    response = api.post("/api/v1/checkout/evaluate", cart)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("unknown_member", "member")
