"""Telling members and the shop about the same thing at once: the owning
apps' triggers (points expiring, coupons expiring, an adjustment, a reward
redeemed, a birthday gift) each send a message of a kind to members and the
matching webhook event to the shop, in the caller's transaction, so both
exist exactly when the cause does and a rerun sends neither twice."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction

from patron.members.models import Member
from patron.messaging.kinds import cause_key
from patron.messaging.services.outbox import message_send, messages_send_bulk
from patron.messaging.webhooks.bulk import webhooks_emit_bulk
from patron.messaging.webhooks.services import webhook_emit

BATCH = 2000


def member_notify(
    *,
    member: Member,
    kind: str,
    cause: str,
    context: Mapping[str, Any],
    event_type: str,
    payload: dict[str, Any],
) -> None:
    """The message of ``kind`` to ``member`` and the webhook ``event_type``
    to their shop, both keyed by ``cause``."""
    message_send(member=member, kind=kind, cause=cause, context=context)
    webhook_emit(shop=member.shop_id, event_type=event_type, event_id=cause, payload=payload)


def members_notify(
    *,
    shop_id: int,
    member_ids: Sequence[int],
    kind: str,
    cause: str,
    context: Callable[[Member], dict[str, Any]],
    event_type: str,
    payload: Callable[[Member], dict[str, Any]],
) -> int:
    """``member_notify`` for many members of one shop, set-based: per batch
    one query for the members, one bulk send and one webhook insert, each
    batch its own transaction. The webhook event id is the cause and the
    member's number. Returns the messages created."""
    created = 0
    for first in range(0, len(member_ids), BATCH):
        members = list(
            Member.objects.filter(pk__in=member_ids[first : first + BATCH]).order_by("pk")
        )
        with transaction.atomic():
            created += messages_send_bulk(kind=kind, cause=cause, members=members, context=context)
            webhooks_emit_bulk(
                shop_id=shop_id,
                event_type=event_type,
                events=[(cause_key(cause, m.external_id), payload(m)) for m in members],
            )
    return created
