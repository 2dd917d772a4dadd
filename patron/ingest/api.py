from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Router, Schema
from pydantic import Field

from patron.core.api import shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.events import services
from patron.events.schemas import BatchIn
from patron.ingest import services as ingest_services

router = Router(tags=["events"])


class EventDoc(Schema):
    """The event envelope (documented; the body is validated by the intake)."""

    id: str = Field(description="unique per shop; a replay returns the first result")
    type: str = Field(
        description="member.registered, order.paid, order.shipped, order.completed, "
        "order.cancelled, order.refunded, review.posted, link.shared or custom.<name>"
    )
    member: str = Field(description="the member's external_id")
    occurred_at: dt.datetime
    data: dict[str, Any] = Field(default_factory=dict)


class EventResult(Schema):
    status: str
    result: dict[str, Any]


class BatchResult(Schema):
    results: list[dict[str, Any]]


@router.post(
    "",
    response={200: EventResult, 201: EventResult},
    summary="Send one event",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": EventDoc.model_json_schema()}},
            "required": True,
        }
    },
)
def event_post(request: HttpRequest, payload: Body[dict[str, Any]]) -> HttpResponse:
    """Apply one event. 201 when applied, 200 with the first result on a replay."""
    shop = shop_for(request, ApiScope.EVENTS_WRITE)

    def handler() -> tuple[int, Any]:
        outcome = services.event_ingest(shop=shop, raw=payload)
        status = "replayed" if outcome.replayed else "applied"
        return (200 if outcome.replayed else 201), {"status": status, "result": outcome.result}

    return with_idempotency(request, shop, handler)


@router.post(
    "/batch",
    response=BatchResult,
    summary="Send up to 1,000 events; one result per event",
)
def event_batch(request: HttpRequest, payload: BatchIn) -> HttpResponse:
    """Each event is applied or rejected on its own; the answer lists them in order."""
    shop = shop_for(request, ApiScope.EVENTS_WRITE)

    def handler() -> tuple[int, Any]:
        return 200, {"results": ingest_services.event_ingest_batch(shop=shop, raws=payload.events)}

    return with_idempotency(request, shop, handler)
