"""Event intake: validate, store once per (shop, event id), apply, answer.

An event is applied inside one transaction together with every effect the
pipeline makes (``events.pipeline``). A replay of the same id returns the
stored result; the same id with a different payload is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ValidationError

from patron.core import clock, config_cache
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.models import Shop
from patron.core.validation import (
    MAX_JSON_DEPTH,
    UNSTORABLE_MESSAGE,
    find_too_deep,
    find_unstorable,
    problem_from_pydantic,
)
from patron.events.models import Event
from patron.events.schemas import DATA_SCHEMAS, CustomData, EventIn
from patron.members.models import Member
from patron.orders.models import Order


@dataclass
class EventContext:
    """What a pipeline handler gets: the stored event, its member and typed data.

    ``order`` is set by the order handler that recorded or locked the event's
    order, so later handlers in the same transaction use it instead of reading
    the row again. A handler sets ``stop`` when the handlers after it have
    nothing to do.
    """

    shop: Shop
    event: Event
    envelope: EventIn
    data: Any
    member: Member | None
    effects: list[dict[str, Any]] = field(default_factory=list)
    order: Order | None = None
    stop: bool = False  # set by a handler that did all the event needs

    @property
    def occurred_at(self) -> dt.datetime:
        return self.envelope.occurred_at


@dataclass(frozen=True)
class IngestResult:
    replayed: bool
    result: dict[str, Any]


def event_validate(raw: Any) -> tuple[EventIn, BaseModel]:
    """Check the envelope and the data of its type; raise PatronError naming the field."""
    if not isinstance(raw, dict):
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, _("an event must be a JSON object"), field="body"
        )
    too_deep_at = find_too_deep(raw)
    if too_deep_at is not None:
        raise validation_error(
            too_deep_at,
            lazy_format(_("nests deeper than %(depth)s levels"), depth=MAX_JSON_DEPTH),
        )
    unstorable_at = find_unstorable(raw)
    if unstorable_at is not None:
        raise validation_error(unstorable_at, UNSTORABLE_MESSAGE)
    try:
        envelope = EventIn.model_validate(raw)
    except ValidationError as exc:
        error = problem_from_pydantic(exc)
        if error.field == "type" and "unknown event type" in error.detail_en:
            error.code = ErrorCode.UNKNOWN_EVENT_TYPE
        raise error from None
    limit = dt.timedelta(seconds=settings.PATRON_EVENT_MAX_FUTURE_SECONDS)
    if envelope.occurred_at > clock.now() + limit:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            _("occurred_at is in the future"),
            field="occurred_at",
        )
    schema = DATA_SCHEMAS.get(envelope.type, CustomData)
    try:
        data = schema.model_validate(envelope.data)
    except ValidationError as exc:
        raise problem_from_pydantic(exc, prefix="data") from None
    return envelope, data


def payload_hash(envelope: EventIn) -> str:
    canonical = json.dumps(envelope.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_ingest(
    *, shop: Shop, raw: Any, valid: tuple[EventIn, BaseModel] | None = None
) -> IngestResult:
    """Apply one event; ``valid`` is ``event_validate(raw)`` when the caller
    already has it. The shop's programmes, rules and tiers come from this
    process's cache while they are current (core.config_cache)."""
    with config_cache.scope():
        return _event_ingest(shop=shop, raw=raw, valid=valid or event_validate(raw))


def _event_ingest(*, shop: Shop, raw: Any, valid: tuple[EventIn, BaseModel]) -> IngestResult:
    # Imported here: the pipeline imports every app's services, and those
    # import this module's EventContext.
    from patron.events.pipeline import run_pipeline

    envelope, data = valid
    digest = payload_hash(envelope)
    # The event row is the transaction's first write. A second event with the
    # same id fails there; leaving the block rolls the transaction (or the
    # caller's savepoint) back, and the first event is read after that, so no
    # savepoint of its own is needed around the insert.
    duplicate = False
    try:
        with transaction.atomic():
            try:
                event = Event.objects.create(
                    shop=shop,
                    external_id=envelope.id,
                    type=envelope.type,
                    member_external_id=envelope.member,
                    occurred_at=envelope.occurred_at,
                    received_at=clock.now(),
                    payload_hash=digest,
                    payload=envelope.model_dump(mode="json"),
                )
            except IntegrityError:
                duplicate = True
                raise
            ctx = EventContext(shop=shop, event=event, envelope=envelope, data=data, member=None)
            run_pipeline(ctx)
            event.result = {
                "id": envelope.id,
                "type": envelope.type,
                "member": envelope.member,
                "effects": ctx.effects,
            }
            event.save(update_fields=["result"])
    except IntegrityError:
        if not duplicate:
            raise
        first = Event.objects.get(shop=shop, external_id=envelope.id)
        if first.payload_hash != digest:
            raise PatronError(
                ErrorCode.IDEMPOTENCY_MISMATCH,
                lazy_format(
                    _("event id %(id)s was already used for a different event"),
                    id=repr(envelope.id),
                ),
                field="id",
            ) from None
        return IngestResult(replayed=True, result=first.result)
    return IngestResult(replayed=False, result=event.result)


def event_ingest_batch(*, shop: Shop, raws: list[Any]) -> list[dict[str, Any]]:
    """Apply up to 1,000 events; each succeeds or fails alone.

    The batch shares one transaction and each event runs in its own savepoint,
    so a refused event rolls back only its own work and the batch pays for one
    commit instead of a thousand.
    """
    from patron.events import bulk

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
                outcome = event_ingest(shop=shop, raw=raw, valid=valid.get(index))
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
