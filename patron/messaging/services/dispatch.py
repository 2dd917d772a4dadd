"""The dispatcher: claims due messages in batches, sends them, records the outcome.

A batch is claimed in a short transaction: the due rows are picked (``FOR
UPDATE SKIP LOCKED`` on PostgreSQL, so dispatchers running at once take
different rows) and stamped with this run's claim and a lease. Sending
happens outside any transaction; the outcomes are written back in bulk. A
dispatcher that dies mid-batch leaves its rows to be claimed again when the
lease ends (at-least-once for that batch; see docs/decisions/messaging.md).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from patron.core import clock
from patron.messaging import channels, selectors
from patron.messaging.channels import Outcome
from patron.messaging.models import (
    Channel,
    Message,
    MessageState,
    MessagingSettings,
    SuppressReason,
    UnusableAddress,
)

LEASE = dt.timedelta(minutes=10)

_FIELDS = [
    "state",
    "reason",
    "attempts",
    "next_attempt_at",
    "claim",
    "claimed_until",
    "last_error",
    "provider_id",
    "sent_at",
    "delivered_at",
]


def _claim(batch_size: int, now: dt.datetime) -> list[Message]:
    token = uuid.uuid4().hex
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    with transaction.atomic():
        due = Message.objects.filter(free, state=MessageState.QUEUED, next_attempt_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:batch_size])
        if not ids:
            return []
        # Conditional: on SQLite (no row locks) a row another dispatcher
        # stamped first is not taken again.
        Message.objects.filter(free, id__in=ids, state=MessageState.QUEUED).update(
            claim=token, claimed_until=now + LEASE
        )
    return list(Message.objects.filter(claim=token).order_by("id"))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: doubling from PATRON_MESSAGING_RETRY_SECONDS."""
    return dt.timedelta(seconds=settings.PATRON_MESSAGING_RETRY_SECONDS * 2 ** (attempts - 1))


def _still_allowed(batch: list[Message]) -> dict[int, str]:
    """Messages that may no longer go: consent withdrawn or the address
    became unusable since they were queued. message id -> reason."""
    refused: dict[int, str] = {}
    groups: dict[tuple[str, str], list[Message]] = defaultdict(list)
    for m in batch:
        groups[(m.channel, m.category)].append(m)
    for (channel, category), rows in groups.items():
        granted = selectors.granted_member_ids(
            {m.member_id for m in rows if m.member_id is not None},
            channel=channel,
            category=category,
        )
        unusable: set[tuple[int, str]] = set()
        if channel != Channel.INAPP:
            unusable = set(
                UnusableAddress.objects.filter(
                    channel=channel, address__in={m.address for m in rows}
                ).values_list("shop_id", "address")
            )
        for m in rows:
            # No member: an answer to an address that wrote in (never
            # marketing, see message_send_to_address): no consent to check.
            if m.member_id is not None and m.member_id not in granted:
                refused[m.pk] = SuppressReason.CONSENT_REFUSED
            elif (m.shop_id, m.address) in unusable:
                refused[m.pk] = SuppressReason.ADDRESS_UNUSABLE
    return refused


def _apply(message: Message, outcome: Outcome, now: dt.datetime) -> None:
    message.claim = ""
    message.claimed_until = None
    message.attempts += 1
    message.last_error = outcome.error[:2000]
    if outcome.status in ("sent", "delivered"):
        message.state = MessageState(outcome.status)
        message.sent_at = now
        message.provider_id = outcome.provider_id[:128]
        if outcome.status == "delivered":
            message.delivered_at = now
    elif outcome.status == "bounced":
        message.state = MessageState.BOUNCED
    elif outcome.status == "retry" and message.attempts < settings.PATRON_MESSAGING_MAX_ATTEMPTS:
        wait = backoff(message.attempts)
        if outcome.retry_after:
            wait = max(wait, dt.timedelta(seconds=outcome.retry_after))
        message.next_attempt_at = now + wait
    else:
        message.state = MessageState.FAILED


def messages_dispatch(
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    sms_gateway: Any | None = None,
) -> dict[str, int]:
    """Send every due message, a batch at a time; returns counts by outcome."""
    totals: Counter[str] = Counter()
    settings_cache: Callable[[int], MessagingSettings] = lru_cache(maxsize=None)(
        selectors.settings_of
    )
    batches = 0
    while max_batches is None or batches < max_batches:
        now = clock.now()
        batch = _claim(batch_size, now)
        if not batch:
            break
        batches += 1
        outcomes: dict[int, Outcome] = {}
        refused = _still_allowed(batch)
        for m in batch:
            if m.pk in refused:
                m.state = MessageState.SUPPRESSED
                m.reason = refused[m.pk]
                m.claim, m.claimed_until = "", None
        live = [m for m in batch if m.pk not in refused]
        emails = [m for m in live if m.channel == Channel.EMAIL]
        sms = [m for m in live if m.channel == Channel.SMS]
        if emails:
            outcomes.update(channels.email_send(emails, settings_cache))
        if sms:
            outcomes.update(channels.sms_send(sms, settings_cache, gateway=sms_gateway))
        for m in live:
            if m.channel == Channel.INAPP:
                outcomes[m.pk] = Outcome("delivered")
        done_at = clock.now()
        for m in live:
            _apply(m, outcomes.get(m.pk, Outcome("retry", "no outcome")), done_at)
        _record(batch, done_at)
        for m in batch:
            totals[str(m.state) if m.state != MessageState.QUEUED else "retry"] += 1
    return dict(totals)


def _record(batch: list[Message], now: dt.datetime) -> None:
    bounced = [m for m in batch if m.state == MessageState.BOUNCED]
    # Rows ending the same way (a batch of sent mails) share one UPDATE.
    groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for m in batch:
        groups[tuple(getattr(m, f) for f in _FIELDS)].append(m.pk)
    with transaction.atomic():
        for values, ids in groups.items():
            Message.objects.filter(id__in=ids).update(**dict(zip(_FIELDS, values, strict=True)))
        if bounced:
            UnusableAddress.objects.bulk_create(
                [
                    UnusableAddress(
                        shop_id=m.shop_id,
                        channel=m.channel,
                        address=m.address,
                        reason=m.last_error[:300],
                        at=now,
                    )
                    for m in bounced
                ],
                ignore_conflicts=True,
            )
