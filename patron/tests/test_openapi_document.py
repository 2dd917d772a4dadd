"""The OpenAPI document tells a shop developer what the API really does:
each event type's data (from the intake's own schemas), the 201s, and the
problem+json answers."""

from __future__ import annotations

from typing import Any

import pytest
from ninja.openapi.schema import REF_TEMPLATE

from patron.core.models import Shop
from patron.events import services as event_services
from patron.events.schemas import DATA_SCHEMAS, KNOWN_TYPES
from patron.ingest.api import EXAMPLES

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


def test_event_body_is_a_union_by_type_of_the_intakes_data_schemas(document) -> None:
    schemas = document["components"]["schemas"]
    event = schemas["Event"]
    assert event["discriminator"]["propertyName"] == "type"
    assert set(event["discriminator"]["mapping"]) == set(KNOWN_TYPES)
    assert len(event["oneOf"]) == len(KNOWN_TYPES) + 1  # and custom.<name>
    for event_type, ref in event["discriminator"]["mapping"].items():
        variant = schemas[ref.rsplit("/", 1)[-1]]
        assert variant["properties"]["type"]["const"] == event_type
        data_name = variant["properties"]["data"]["$ref"].rsplit("/", 1)[-1]
        model = DATA_SCHEMAS[event_type]
        # The very schema the intake validates with, so the two cannot drift.
        expected = model.model_json_schema(ref_template=REF_TEMPLATE)
        expected.pop("$defs", None)
        assert schemas[data_name] == expected
        assert variant["examples"][0]["type"] == event_type
    paid = schemas["OrderPaidData"]["properties"]
    assert "shipping included" in paid["paid_amount"]["description"]
    body = document["paths"]["/api/v1/events"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Event"}


def test_every_documented_example_event_is_accepted_by_the_intake() -> None:
    shop = Shop.objects.create(name="Docs")
    for event_type, example in EXAMPLES.items():
        event_services.event_validate(example)
        if event_type == "order.paid":
            event_services.event_ingest(shop=shop, raw=EXAMPLES["member.registered"])
            assert event_services.event_ingest(shop=shop, raw=example).replayed is False


@pytest.mark.parametrize(
    ("path", "statuses"),
    [
        ("/api/v1/members/{external_id}/coupons/claim", {"201"}),
        ("/api/v1/members/{external_id}/flash-sales/{sale_id}/claim", {"201"}),
        ("/api/v1/members/{external_id}/redemptions", {"201"}),
        ("/api/v1/checkout/reserve", {"201"}),
    ],
)
def test_creating_operations_document_201(document, path: str, statuses: set[str]) -> None:
    responses = document["paths"][path]["post"]["responses"]
    assert {status for status in responses if status.startswith("2")} == statuses


def test_every_operation_documents_its_problem_answers(document) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code"} <= set(problem["required"])
    assert "errors" in problem["properties"]
    operations = _operations(document)
    assert len(operations) >= 23
    for method, path, operation in operations:
        responses = operation["responses"]
        expected = {"401", "403", "422"} | ({"400", "411", "413"} if method == "post" else set())
        if "{" in path:
            expected.add("404")
        assert expected <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith("4"):
                assert response["content"] == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)


def test_new_read_endpoints_are_documented(document) -> None:
    paths = document["paths"]
    for path in (
        "/api/v1/flash-sales",
        "/api/v1/members/{external_id}/coupon-templates",
        "/api/v1/members/{external_id}/redemptions",
        "/api/v1/members/{external_id}/orders",
    ):
        assert "200" in paths[path]["get"]["responses"], path
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert {"limit", "before"} <= names, path
