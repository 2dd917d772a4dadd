"""The batch intake: many events in one transaction, the plain paid orders
set-based (``ingest.bulk``), the rest one by one through ``events.services``."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.events import services as event_services
from patron.ingest import bulk


def event_ingest_batch(*, shop: Shop, raws: list[Any]) -> list[dict[str, Any]]:
    """Apply up to 1,000 events; each succeeds or fails alone.

    The batch shares one transaction and each event runs in its own savepoint,
    so a refused event rolls back only its own work and the batch pays for one
    commit instead of a thousand.
    """

    answers: list[dict[str, Any]] = []
    valid = bulk.validated(raws)
    with transaction.atomic():
        bulk.lock_members_of(shop=shop, valid=valid)
        # Plain order.paid events first, together; the rest one by one. A lane
        # event is its member's first in the batch, and members never affect
        # one another, so taking them first changes no outcome.
        applied = bulk.paid_lane(shop=shop, valid=valid)
        for index, raw in enumerate(raws):
            if index in applied:
                answers.append(applied[index])
                continue
            event_id = raw.get("id") if isinstance(raw, dict) else None
            try:
                outcome = event_services.event_ingest(shop=shop, raw=raw, valid=valid.get(index))
            except PatronError as error:
                problem = error.as_problem()
                if error.field is not None:
                    problem["field"] = error.field
                answers.append(
                    {"index": index, "id": event_id, "status": "rejected", "problem": problem}
                )
                continue
            answers.append(
                {
                    "index": index,
                    "id": event_id,
                    "status": "applied",
                    "replayed": outcome.replayed,
                    "result": outcome.result,
                }
            )
    return answers
