"""Event intake: validate, store once per (shop, event id), apply, answer.

An event is applied inside one transaction together with every effect the
pipeline makes (``patron.pipeline``, named by the PATRON_EVENT_PIPELINE
setting). A replay of the same id returns the stored result; the same id with
a different payload is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from pydantic import BaseModel, ValidationError

from patron.core import clock, config_cache
from patron.core.errors import ErrorCode, PatronError, lazy_format, validation_error
from patron.core.locks import insert_or_first
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
    order: Any = None  # an orders.models.Order (orders sits above events)
    stop: bool = False  # set by a handler that did all the event needs

    @property
    def occurred_at(self) -> dt.datetime:
        return self.envelope.occurred_at


def _pipeline() -> Callable[[EventContext], None]:
    """The pipeline that applies an event: the apps' handlers live above this
    module, so it is named by a setting (``PATRON_EVENT_PIPELINE``), as Django
    names its middleware."""
    return import_string(settings.PATRON_EVENT_PIPELINE)


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
    envelope, data = valid
    digest = payload_hash(envelope)
    # The event row is the block's first write; the pipeline runs after it in
    # the same block. A second event with the same id fails at the insert,
    # which rolls the block back (the transaction, or the caller's savepoint),
    # and the first event is read after that.

    def run_pipeline(event: Event) -> None:
        ctx = EventContext(shop=shop, event=event, envelope=envelope, data=data, member=None)
        _pipeline()(ctx)
        event.result = {
            "id": envelope.id,
            "type": envelope.type,
            "member": envelope.member,
            "effects": ctx.effects,
        }
        event.save(update_fields=["result"])

    event, created = insert_or_first(
        lambda: Event.objects.create(
            shop=shop,
            external_id=envelope.id,
            type=envelope.type,
            member_external_id=envelope.member,
            occurred_at=envelope.occurred_at,
            received_at=clock.now(),
            payload_hash=digest,
            payload=envelope.model_dump(mode="json"),
        ),
        lambda: Event.objects.get(shop=shop, external_id=envelope.id),
        then=run_pipeline,
    )
    if not created:
        if event.payload_hash != digest:
            raise PatronError(
                ErrorCode.IDEMPOTENCY_MISMATCH,
                lazy_format(
                    _("event id %(id)s was already used for a different event"),
                    id=repr(envelope.id),
                ),
                field="id",
            )
        return IngestResult(replayed=True, result=event.result)
    return IngestResult(replayed=False, result=event.result)
