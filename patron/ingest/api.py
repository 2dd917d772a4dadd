from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Body, Router, Schema
from pydantic import Field

from patron.core.api import Answer, ApiKeyAuth, shop_for, with_idempotency
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
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": EventDoc.model_json_schema()}},
            "required": True,
        }
    },
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
