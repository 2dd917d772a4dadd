"""Writes on the in-app inbox: the member reads and deletes their messages."""

from __future__ import annotations

from patron.core import clock
from patron.members.models import Member
from patron.messaging.models import Channel, Message


def inbox_mark_read(*, member: Member, message_ids: list[int] | None = None) -> int:
    """Mark the member's in-app messages read (all unread ones if no ids); returns how many."""
    rows = Message.objects.filter(
        member=member, channel=Channel.INAPP, read_at__isnull=True, deleted_at__isnull=True
    )
    if message_ids is not None:
        rows = rows.filter(pk__in=message_ids)
    return rows.update(read_at=clock.now())


def inbox_delete(*, member: Member, message_id: int) -> bool:
    """Hide one of the member's in-app messages (kept in the delivery log)."""
    return bool(
        Message.objects.filter(
            pk=message_id, member=member, channel=Channel.INAPP, deleted_at__isnull=True
        ).update(deleted_at=clock.now())
    )
