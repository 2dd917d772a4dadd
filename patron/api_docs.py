"""Completes the shop API's OpenAPI document where ninja cannot see the truth:
the problem+json answers every operation may give, the Idempotency-Key
header, and request bodies the handlers validate themselves (events).

Kept in the composition layer: it reads every app's router and error model.
"""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import REF_TEMPLATE

from patron.core.api import Problem
from patron.ingest.api import openapi_components as event_components

EXAMPLE_MEMBER = "M000123"  # the member of the event examples
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

_DESCRIPTIONS = {
    400: "Malformed JSON body or a bad Idempotency-Key header",
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope this operation needs",
    404: "A named resource (member, order, reward, coupon, flash sale ...) does not exist",
    409: "Refused by a business rule or the resource's state (sold out, limit reached, "
    "insufficient points, invalid transition, ...)",
    411: "A chunked request body the server could not read: send Content-Length",
    413: "The request body is larger than the API accepts",
    422: "Invalid input: the failing field is named in field and errors",
}

# POSTs that write nothing: no Idempotency-Key, no 409.
_READ_ONLY_POSTS = {"points_preview", "evaluate"}
# Operations that look nothing up, so never answer 404.
_NO_LOOKUP = {"tier_list", "event_post", "event_batch", "member_upsert", "flash_sales_list"}

IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Send the same key to retry safely: the first answer is returned again, "
    "with the header Idempotent-Replayed: true. 1 to 255 characters.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _name(operation: dict[str, Any]) -> str:
    # ninja's operation ids are module path + function name.
    return str(operation.get("operationId", "")).rsplit("_api_", 1)[-1]


def problem_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    name = _name(operation)
    statuses = {401, 403, 422}
    if method in ("post", "put", "patch"):  # the methods with a body
        statuses |= {400, 411, 413}
    if method == "post" and name not in _READ_ONLY_POSTS:
        statuses.add(409)
    if "{" in path or name not in _NO_LOOKUP:
        statuses.add(404)
    return sorted(statuses)


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """Add the problem+json answers, headers and component schemas (in place)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    problem = Problem.model_json_schema(ref_template=REF_TEMPLATE)
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    schemas.update(event_components())
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            body_schema = operation.pop("x-request-schema", None)
            if body_schema is not None:
                operation["requestBody"] = {
                    "content": {"application/json": {"schema": body_schema}},
                    "required": True,
                }
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "external_id":
                    parameter["description"] = "the member's external_id"
                    parameter["example"] = EXAMPLE_MEMBER
            responses = operation.setdefault("responses", {})
            for status in problem_statuses(method, path, operation):
                responses[str(status)] = {
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/problem+json": {"schema": PROBLEM_REF}},
                }
            if method == "post" and _name(operation) not in _READ_ONLY_POSTS:
                operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
                for status, response in responses.items():
                    if str(status).startswith("2"):
                        response.setdefault("headers", {})["Idempotent-Replayed"] = {
                            "description": "true when this is the stored answer to an "
                            "earlier request with the same Idempotency-Key",
                            "schema": {"type": "string", "enum": ["true"]},
                        }
    return document
