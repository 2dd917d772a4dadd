"""Reads on messaging: settings, preferences, the inbox and the delivery log."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.consent import DEFAULTS
from patron.messaging.models import (
    Category,
    Channel,
    ConsentChange,
    KindSwitch,
    Message,
    MessageState,
    MessagingSettings,
    Preference,
)


def settings_of(shop: Shop | int) -> MessagingSettings:
    """The shop's messaging settings; an unsaved row with the defaults if it has none."""
    shop_id = shop.pk if isinstance(shop, Shop) else shop
    found = MessagingSettings.objects.filter(shop_id=shop_id).first()
    return found if found is not None else MessagingSettings(shop_id=shop_id)


def preferences_of(member: Member) -> dict[str, dict[str, bool]]:
    """channel -> category -> granted, defaults filled in."""
    stored = {(p.channel, p.category): p.granted for p in Preference.objects.filter(member=member)}
    return {
        channel: {
            category: stored.get((channel, category), DEFAULTS[category])
            for category in Category.values
        }
        for channel in Channel.values
    }


def granted_member_ids(member_ids: Iterable[int], *, channel: str, category: str) -> set[int]:
    """Of ``member_ids``, those who may receive ``category`` on ``channel``
    (one query per 5,000 members)."""
    return granted_by_channel(member_ids, channels=[channel], category=category)[channel]


def granted_by_channel(
    member_ids: Iterable[int], *, channels: Iterable[str], category: str
) -> dict[str, set[int]]:
    """channel -> of ``member_ids``, those who may receive ``category`` on it:
    every channel in one query per 5,000 members (the preferences stored
    are only those that differ from the category's default)."""
    ids = list(member_ids)
    wanted = list(dict.fromkeys(channels))
    default = DEFAULTS[category]
    result: dict[str, set[int]] = {channel: set() for channel in wanted}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        differing: dict[str, set[int]] = {channel: set() for channel in wanted}
        for member_id, channel in Preference.objects.filter(
            member_id__in=chunk, channel__in=wanted, category=category, granted=not default
        ).values_list("member_id", "channel"):
            differing[channel].add(member_id)
        for channel in wanted:
            if default:
                result[channel].update(i for i in chunk if i not in differing[channel])
            else:
                result[channel].update(differing[channel])
    return result


def inbox_unread_count(member: Member) -> int:
    """One indexed COUNT (the ``message_inbox`` partial index)."""
    return Message.objects.filter(
        member=member,
        channel=Channel.INAPP,
        state=MessageState.DELIVERED,
        deleted_at__isnull=True,
        read_at__isnull=True,
    ).count()


def inbox_list(member: Member) -> QuerySet[Message]:
    """The member's in-app messages, newest first, without the deleted ones."""
    return Message.objects.filter(
        member=member,
        channel=Channel.INAPP,
        state=MessageState.DELIVERED,
        deleted_at__isnull=True,
    ).order_by("-id")


def messages_log(
    *,
    shop: Shop,
    member: Member | None = None,
    state: str | None = None,
    kind: str | None = None,
    before: int | None = None,
    limit: int = 20,
) -> tuple[list[Message], int | None]:
    """The shop's messages newest first, filtered; with the cursor of the next page."""
    rows = Message.objects.filter(shop=shop).select_related("member")
    if member is not None:
        rows = rows.filter(member=member)
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    if before is not None:
        rows = rows.filter(id__lt=before)
    page = list(rows.order_by("-id")[: limit + 1])
    next_before = page[limit - 1].pk if len(page) > limit else None
    return page[:limit], next_before


def consent_changes_of(member: Member, *, limit: int = 10) -> list[ConsentChange]:
    """The member's newest consent changes (the audit trail), newest first."""
    return list(ConsentChange.objects.filter(member=member).order_by("-at", "-id")[:limit])


def kind_switches_of(shop: Shop) -> dict[str, bool]:
    """kind code -> enabled, for the kinds the shop has switched (others are on)."""
    return dict(KindSwitch.objects.filter(shop=shop).values_list("kind", "enabled"))
