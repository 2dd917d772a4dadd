from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Router, Schema
from ninja.openapi.schema import REF_TEMPLATE
from pydantic import Field

from patron.core.api import Answer, ApiKeyAuth, shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.events import services
from patron.events.schemas import CUSTOM_TYPE, DATA_SCHEMAS, BatchIn
from patron.ingest import services as ingest_services

router = Router(tags=["events"])


# One example per event type, as a shop would send it; a test sends each
# through the intake, so the documented examples stay valid.
EXAMPLES: dict[str, dict[str, Any]] = {
    "member.registered": {
        "id": "evt-1001",
        "type": "member.registered",
        "member": "M000123",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "data": {
            "name": "张伟",
            "phone": "13812345678",
            "birthday": "1990-06-01",
            "channel": "app",
            "consents": {"sms": True},
        },
    },
    "order.paid": {
        "id": "evt-1002",
        "type": "order.paid",
        "member": "M000123",
        "occurred_at": "2026-11-23T10:00:00+08:00",
        "data": {
            "order_id": "SO-20261123-0001",
            "lines": [
                {
                    "line_id": "1",
                    "sku": "TEA-001",
                    "name": "龙井 250g",
                    "category": "tea",
                    "quantity": 2,
                    "unit_price": 9950,
                }
            ],
            "shipping_fee": 1000,
            "discount_amount": 1000,
            "paid_amount": 19900,
            "coupon_codes": [],
        },
    },
    "order.shipped": {
        "id": "evt-1003",
        "type": "order.shipped",
        "member": "M000123",
        "occurred_at": "2026-11-24T15:00:00+08:00",
        "data": {"order_id": "SO-20261123-0001", "carrier": "SF", "tracking_number": "SF123"},
    },
    "shipment.updated": {
        "id": "evt-1010",
        "type": "shipment.updated",
        "member": "M000123",
        "occurred_at": "2026-11-25T09:00:00+08:00",
        "data": {
            "order_id": "SO-20261123-0001",
            "carrier": "SF",
            "tracking_number": "SF123",
            "checkpoints": [
                {
                    "at": "2026-11-25T08:40:00+08:00",
                    "location": "杭州转运中心",
                    "description": "快件已到达杭州转运中心",
                }
            ],
        },
    },
    "order.change_answered": {
        "id": "evt-1011",
        "type": "order.change_answered",
        "member": "M000123",
        "occurred_at": "2026-11-23T21:00:00+08:00",
        "data": {"order_id": "SO-20261123-0001", "change_id": 42, "accepted": True},
    },
    "order.completed": {
        "id": "evt-1004",
        "type": "order.completed",
        "member": "M000123",
        "occurred_at": "2026-11-26T12:00:00+08:00",
        "data": {"order_id": "SO-20261123-0001"},
    },
    "order.cancelled": {
        "id": "evt-1005",
        "type": "order.cancelled",
        "member": "M000123",
        "occurred_at": "2026-11-23T11:00:00+08:00",
        "data": {"order_id": "SO-20261123-0001", "note": "member cancelled"},
    },
    "order.refunded": {
        "id": "evt-1006",
        "type": "order.refunded",
        "member": "M000123",
        "occurred_at": "2026-11-28T09:00:00+08:00",
        "data": {
            "order_id": "SO-20261123-0001",
            "refund_id": "RF-1",
            "lines": [{"line_id": "1", "quantity": 1}],
            "reason": "damaged",
        },
    },
    "review.posted": {
        "id": "evt-1007",
        "type": "review.posted",
        "member": "M000123",
        "occurred_at": "2026-11-27T20:00:00+08:00",
        "data": {
            "review_id": "RV-1",
            "order_id": "SO-20261123-0001",
            "sku": "TEA-001",
            "rating": 5,
            "has_photos": True,
            "text_length": 120,
        },
    },
    "link.shared": {
        "id": "evt-1008",
        "type": "link.shared",
        "member": "M000123",
        "occurred_at": "2026-11-27T20:05:00+08:00",
        "data": {"url": "https://shop.example.com/p/TEA-001", "target": "wechat"},
    },
    "custom.quiz_answered": {
        "id": "evt-1009",
        "type": "custom.quiz_answered",
        "member": "M000123",
        "occurred_at": "2026-11-27T20:10:00+08:00",
        "data": {"quiz": "tea-101", "score": 8},
    },
}

_ENVELOPE = {
    "id": {
        "type": "string",
        "minLength": 1,
        "maxLength": 100,
        "description": "unique per shop; re-sending it returns the first result",
    },
    "member": {
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "description": "the member's external_id",
    },
    "occurred_at": {
        "type": "string",
        "format": "date-time",
        "description": "when it happened, with a time zone offset (-14:00 to +14:00), "
        "between 1900 and now (up to five minutes ahead are allowed)",
    },
}


def _component_name(event_type: str) -> str:
    return "".join(part.capitalize() for part in event_type.replace("_", ".").split(".")) + "Event"


def openapi_components() -> dict[str, Any]:
    """The schemas of the event body for the OpenAPI document: one per event
    type, each with its ``data`` schema taken from the models the intake
    validates with (``events.schemas.DATA_SCHEMAS``), and ``Event``, their
    union discriminated by ``type``."""
    components: dict[str, Any] = {}
    variants: list[dict[str, Any]] = []
    mapping: dict[str, str] = {}

    def add(
        name: str,
        type_schema: dict[str, Any],
        data: dict[str, Any],
        doc: str,
        example: Any,
        data_required: bool = False,
    ) -> None:
        components[name] = {
            "type": "object",
            "title": name,
            "description": doc,
            "properties": {"id": _ENVELOPE["id"], "type": type_schema, **_ENVELOPE, "data": data},
            "required": ["id", "type", "member", "occurred_at"]
            + (["data"] if data_required else []),
            "additionalProperties": False,
            "examples": [example],
        }
        ref = f"#/components/schemas/{name}"
        variants.append({"$ref": ref})
        if "const" in type_schema:
            mapping[type_schema["const"]] = ref

    for event_type, model in DATA_SCHEMAS.items():
        data = model.model_json_schema(ref_template=REF_TEMPLATE)
        components.update(data.pop("$defs", {}))
        components[model.__name__] = data
        add(
            _component_name(event_type),
            {"type": "string", "const": event_type},
            {"$ref": f"#/components/schemas/{model.__name__}"},
            f"The {event_type} event; its data is {model.__name__}.",
            EXAMPLES[event_type],
            data_required=bool(data.get("required")),
        )
    add(
        "CustomEvent",
        {"type": "string", "pattern": CUSTOM_TYPE.pattern, "examples": ["custom.quiz_answered"]},
        {"type": "object", "additionalProperties": True, "default": {}},
        "A custom.<name> event (e.g. custom.quiz_answered): any JSON object as data, for "
        "rules to read.",
        EXAMPLES["custom.quiz_answered"],
    )
    components["Event"] = {
        "title": "Event",
        "description": "One event, by type. Unknown fields are refused.",
        "oneOf": variants,
        "discriminator": {"propertyName": "type", "mapping": mapping},
    }
    return components


class EventResult(Schema):
    status: str = Field(description="always `applied`: refused events are answered as problems")
    result: dict[str, Any]


class BatchResult(Schema):
    results: list[dict[str, Any]] = Field(
        description="one per event, in order: `index`, `id`, `status` (`applied` or "
        "`rejected`), for an applied event `replayed` (true when the id was applied "
        "before and this is the first result again) and `result`, for a rejected one "
        "`problem` (a problem+json document)"
    )


@router.post(
    "",
    response={201: EventResult},
    summary="Send one event",
    # The intake validates the body itself (events.services.event_validate),
    # so the document names the schema instead of ninja's dict.
    openapi_extra={"x-request-schema": {"$ref": "#/components/schemas/Event"}},
    auth=ApiKeyAuth(ApiScope.EVENTS_WRITE),
)
def event_post(request: HttpRequest, payload: Body[dict[str, Any]]) -> HttpResponse:
    """Apply one event: 201. The same event id again answers what the first
    did (201 and the same body) with the header ``Idempotent-Replayed: true``,
    as a reused ``Idempotency-Key`` does; it is not applied twice."""
    shop = shop_for(request, ApiScope.EVENTS_WRITE)

    def handler() -> Answer:
        outcome = services.event_ingest(shop=shop, raw=payload)
        return 201, {"status": "applied", "result": outcome.result}, outcome.replayed

    return with_idempotency(request, shop, handler)


@router.post(
    "/batch",
    response=BatchResult,
    summary="Send up to 1,000 events; one result per event",
    auth=ApiKeyAuth(ApiScope.EVENTS_WRITE),
    openapi_extra={
        "x-request-schema": {
            "type": "object",
            "properties": {
                "events": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Event"},
                    "minItems": 1,
                    "maxItems": 1000,
                    "description": "each is applied or rejected on its own",
                }
            },
            "required": ["events"],
            "additionalProperties": False,
        }
    },
)
def event_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    """Each event is applied or rejected on its own; the answer lists them in
    order. An event whose id was applied before is not applied again: its entry
    is the first result, ``"status": "applied"``, with ``"replayed": true``
    (the batch's own status stays 200; a reused Idempotency-Key replays the
    whole answer with ``Idempotent-Replayed: true``)."""
    shop = shop_for(request, ApiScope.EVENTS_WRITE)

    def handler() -> tuple[int, Any]:
        return 200, {"results": ingest_services.event_ingest_batch(shop=shop, raws=payload.events)}

    return with_idempotency(request, shop, handler)
