"""The outbox: messages created in the caller's transaction, sent after it commits.

``message_send`` and ``messages_send_bulk`` decide, set-based, what each
member gets on each channel: queued (due now, or at the end of quiet hours
for marketing), or suppressed with its reason (trigger off, no consent, no
or unusable address, daily or weekly cap). One row per (cause, member, kind,
channel): the unique constraint makes a retried event or job create nothing.
The dispatch task is enqueued on commit.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import selectors
from patron.messaging.kinds import BASE_LANGUAGE, MessageKind, kind_get
from patron.messaging.models import (
    Category,
    Channel,
    KindSwitch,
    Message,
    MessageState,
    MessagingSettings,
    SuppressReason,
    UnusableAddress,
)
from patron.messaging.services.templates import render_context, render_for, wordings

Context = Mapping[str, Any] | Callable[[Member], Mapping[str, Any]]
#: One cause for every member, or each member's own (a batch of events, one
#: event per member: the idempotency key stays per event).
Cause = str | Callable[[Member], str]

CHUNK = 2000


def shop_zone(settings_row: MessagingSettings) -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(settings_row.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def quiet_until(settings_row: MessagingSettings, at: dt.datetime) -> dt.datetime | None:
    """The end of the quiet hours ``at`` falls in (shop time zone), or None."""
    start, end = settings_row.quiet_start, settings_row.quiet_end
    if start == end:
        return None
    local = at.astimezone(shop_zone(settings_row))
    t = local.time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date()
    if start > end and t >= start:  # before midnight: ends tomorrow morning
        end_day += dt.timedelta(days=1)
    return dt.datetime.combine(end_day, end, tzinfo=local.tzinfo).astimezone(dt.UTC)


def cap_windows(
    settings_row: MessagingSettings, at: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """Where today and the week (today and the 6 days before, shop time zone) begin."""
    zone = shop_zone(settings_row)
    day = at.astimezone(zone).date()
    day_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    week_start = dt.datetime.combine(day - dt.timedelta(days=6), dt.time(0), tzinfo=zone)
    return day_start.astimezone(dt.UTC), week_start.astimezone(dt.UTC)


def _address(member: Member, channel: str) -> str:
    if channel == Channel.EMAIL:
        return member.email
    if channel == Channel.SMS:
        return member.phone
    return ""


def _cap_counts(
    member_ids: list[int], channel: str, day_start: dt.datetime, week_start: dt.datetime
) -> dict[int, tuple[int, int]]:
    """member -> (marketing messages today, this week) on ``channel``, not counting suppressed."""
    rows = (
        Message.objects.filter(
            member_id__in=member_ids,
            channel=channel,
            category=Category.MARKETING,
            created_at__gte=week_start,
        )
        .exclude(state=MessageState.SUPPRESSED)
        .values("member_id")
        .annotate(
            week=Count("id"),
            day=Count("id", filter=Q(created_at__gte=day_start)),
        )
    )
    return {r["member_id"]: (r["day"], r["week"]) for r in rows}


def _kind(code: str) -> MessageKind:
    try:
        return kind_get(code)
    except LookupError:
        raise validation_error(
            "kind", lazy_format(_("unknown message kind %(kind)s"), kind=code)
        ) from None


def messages_send_bulk(
    *,
    kind: str,
    cause: Cause,
    members: Sequence[Member],
    context: Context | None = None,
    channels: Sequence[str] | None = None,
) -> int:
    """Create the messages of ``kind`` for ``members`` (all of one shop) in
    the caller's transaction; returns how many rows it created (an earlier
    call with the same cause created the rest). ``context`` is the kind's
    variables, the same for everyone or a function of the member; ``cause``
    likewise (a batch of events tells each member about their own event in
    one call). A member listed twice counts once (the first)."""
    if not members:
        return 0
    message_kind = _kind(kind)
    if len({m.pk for m in members}) != len(members):
        members = list({m.pk: m for m in reversed(members)}.values())[::-1]  # first of each
    causes = {m.pk: cause(m) if callable(cause) else cause for m in members}
    if any(not c or len(c) > 128 for c in causes.values()):
        raise validation_error("cause", _("1 to 128 characters"))
    wanted = [Channel(c) for c in (channels or message_kind.channels)]
    for channel in wanted:
        if channel not in message_kind.channels:
            raise validation_error(
                "channels",
                lazy_format(_("%(kind)s is not sent on %(channel)s"), kind=kind, channel=channel),
            )
    shop_id = members[0].shop_id
    if any(m.shop_id != shop_id for m in members):
        raise ValueError("messages_send_bulk: members of one shop only")
    shop_settings = selectors.settings_of(shop_id)
    shop_name = Shop.objects.values_list("name", flat=True).get(pk=shop_id)
    now = clock.now()
    marketing = message_kind.category == Category.MARKETING
    wait_until = quiet_until(shop_settings, now) if marketing else None
    day_start, week_start = cap_windows(shop_settings, now)
    trigger_off = KindSwitch.objects.filter(shop_id=shop_id, kind=kind, enabled=False).exists()
    created = 0
    with transaction.atomic():
        for channel in wanted:
            words = wordings(shop_id=shop_id, kind=message_kind, channel=channel)
            suffix = shop_settings.sms_opt_out_text if channel == Channel.SMS and marketing else ""
            for start in range(0, len(members), CHUNK):
                chunk = members[start : start + CHUNK]
                created += _create_chunk(
                    chunk=chunk,
                    kind=message_kind,
                    causes=causes,
                    channel=channel,
                    words=words,
                    suffix=suffix,
                    context=context,
                    shop_name=shop_name,
                    shop_settings=shop_settings,
                    trigger_off=trigger_off,
                    now=now,
                    wait_until=wait_until,
                    windows=(day_start, week_start),
                )
        if created:
            transaction.on_commit(_enqueue_dispatch)
    return created


def _enqueue_dispatch() -> None:
    from patron.messaging import tasks

    tasks.messages_dispatch.enqueue()


def _create_chunk(
    *,
    chunk: Sequence[Member],
    kind: MessageKind,
    causes: Mapping[int, str],
    channel: Channel,
    words: Mapping[str, Any],
    suffix: str,
    context: Context | None,
    shop_name: str,
    shop_settings: MessagingSettings,
    trigger_off: bool,
    now: dt.datetime,
    wait_until: dt.datetime | None,
    windows: tuple[dt.datetime, dt.datetime],
) -> int:
    ids = [m.pk for m in chunk]
    chunk_causes = sorted({causes[i] for i in ids})
    done = set(
        Message.objects.filter(
            cause__in=chunk_causes, kind=kind.code, channel=channel, member_id__in=ids
        ).values_list("member_id", "cause")
    )
    todo = [m for m in chunk if (m.pk, causes[m.pk]) not in done]
    if not todo:
        return 0
    todo_ids = [m.pk for m in todo]
    granted = selectors.granted_member_ids(todo_ids, channel=channel, category=kind.category)
    addresses = {m.pk: _address(m, channel) for m in todo}
    unusable: set[str] = set()
    if channel != Channel.INAPP:
        unusable = set(
            UnusableAddress.objects.filter(
                shop_id=shop_settings.shop_id,
                channel=channel,
                address__in=[a for a in addresses.values() if a],
            ).values_list("address", flat=True)
        )
    marketing = kind.category == Category.MARKETING
    counts = _cap_counts(todo_ids, channel, *windows) if marketing else {}
    rows: list[Message] = []
    for member in todo:
        address = addresses[member.pk]
        reason = ""
        if trigger_off:
            reason = SuppressReason.TRIGGER_OFF
        elif member.pk not in granted:
            reason = SuppressReason.CONSENT_REFUSED
        elif channel != Channel.INAPP and not address:
            reason = SuppressReason.NO_ADDRESS
        elif address in unusable:
            reason = SuppressReason.ADDRESS_UNUSABLE
        elif marketing:
            day, week = counts.get(member.pk, (0, 0))
            if day >= shop_settings.marketing_daily_cap:
                reason = SuppressReason.DAILY_CAP
            elif week >= shop_settings.marketing_weekly_cap:
                reason = SuppressReason.WEEKLY_CAP
        values = context(member) if callable(context) else (context or {})
        wording = words[member.language if member.language in words else "zh-hans"]
        rendered = render_for(
            wording=wording,
            values=render_context(
                member=member, shop_name=shop_name, kind=kind, channel=channel, context=values
            ),
            sms_suffix=suffix,
        )
        rows.append(
            Message(
                shop_id=member.shop_id,
                member_id=member.pk,
                kind=kind.code,
                category=kind.category,
                channel=channel,
                cause=causes[member.pk],
                language=rendered.language,
                address=address,
                subject=rendered.subject,
                body_text=rendered.body_text,
                body_html=rendered.body_html if channel == Channel.EMAIL else "",
                sms_template_code=rendered.sms_template_code if channel == Channel.SMS else "",
                sms_params=rendered.sms_params if channel == Channel.SMS else {},
                state=MessageState.SUPPRESSED if reason else MessageState.QUEUED,
                reason=reason,
                next_attempt_at=None if reason else (wait_until or now),
                created_at=now,
            )
        )
    # A concurrent call with the same cause may have inserted some first.
    mine = Message.objects.filter(
        cause__in=chunk_causes, kind=kind.code, channel=channel, member_id__in=todo_ids
    )
    before = mine.count()
    Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return mine.count() - before


def message_send(
    *,
    member: Member,
    kind: str,
    cause: str,
    context: Mapping[str, Any] | None = None,
    channels: Sequence[str] | None = None,
) -> list[Message]:
    """``messages_send_bulk`` for one member; returns their messages of this
    cause and kind (the ones an earlier call created, on a retry)."""
    messages_send_bulk(kind=kind, cause=cause, members=[member], context=context, channels=channels)
    return list(Message.objects.filter(cause=cause, member=member, kind=kind).order_by("channel"))


def message_send_to_address(
    *,
    shop_id: int,
    address: str,
    kind: str,
    cause: str,
    name: str = "",
    context: Mapping[str, Any] | None = None,
    language: str = BASE_LANGUAGE,
    headers: Mapping[str, str] | None = None,
) -> Message:
    """One e-mail of ``kind`` to ``address``, which belongs to no member:
    the answer to someone who wrote in (a service desk contact). They asked,
    so no consent applies, which is why marketing kinds are refused here. The
    trigger switch and unusable addresses still suppress it. Created in the
    caller's transaction and sent after it commits; the same cause, kind and
    address again returns the first row and creates nothing."""
    message_kind = _kind(kind)
    if message_kind.category == Category.MARKETING:
        raise validation_error("kind", _("marketing goes to members who consented only"))
    if Channel.EMAIL not in message_kind.channels:
        raise validation_error(
            "channels",
            lazy_format(_("%(kind)s is not sent on %(channel)s"), kind=kind, channel=Channel.EMAIL),
        )
    address = (address or "").strip()
    if "@" not in address or len(address) > 254:
        raise validation_error("address", _("must be an e-mail address"))
    if not cause or len(cause) > 128:
        raise validation_error("cause", _("1 to 128 characters"))
    mine = Message.objects.filter(
        member__isnull=True, cause=cause, address=address, kind=kind, channel=Channel.EMAIL
    )
    found = mine.first()
    if found is not None:
        return found
    reason = ""
    if KindSwitch.objects.filter(shop_id=shop_id, kind=kind, enabled=False).exists():
        reason = SuppressReason.TRIGGER_OFF
    elif UnusableAddress.objects.filter(
        shop_id=shop_id, channel=Channel.EMAIL, address=address
    ).exists():
        reason = SuppressReason.ADDRESS_UNUSABLE
    words = wordings(shop_id=shop_id, kind=message_kind, channel=Channel.EMAIL)
    shop_name = Shop.objects.values_list("name", flat=True).get(pk=shop_id)
    rendered = render_for(
        wording=words[language if language in words else BASE_LANGUAGE],
        values={
            **(context or {}),
            "member": {"name": name, "external_id": "", "tier": ""},
            "shop": {"name": shop_name},
            "unsubscribe_url": "",
        },
    )
    now = clock.now()
    with transaction.atomic():
        Message.objects.bulk_create(
            [
                Message(
                    shop_id=shop_id,
                    member=None,
                    kind=kind,
                    category=message_kind.category,
                    channel=Channel.EMAIL,
                    cause=cause,
                    language=rendered.language,
                    address=address,
                    subject=rendered.subject,
                    body_text=rendered.body_text,
                    body_html=rendered.body_html,
                    headers=dict(headers or {}),
                    state=MessageState.SUPPRESSED if reason else MessageState.QUEUED,
                    reason=reason,
                    next_attempt_at=None if reason else now,
                    created_at=now,
                )
            ],
            ignore_conflicts=True,
        )
        if not reason:
            transaction.on_commit(_enqueue_dispatch)
    return mine.get()
