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
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, Q
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
from patron.messaging.services.templates import (
    Rendered,
    render_context,
    render_for,
    wordings,
    wordings_by_channel,
)

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
    member_ids: list[int], channels: Sequence[str], day_start: dt.datetime, week_start: dt.datetime
) -> dict[tuple[int, str], tuple[int, int]]:
    """(member, channel) -> marketing messages today and this week on that
    channel, not counting suppressed: every channel in one query."""
    rows = (
        Message.objects.filter(
            member_id__in=member_ids,
            channel__in=channels,
            category=Category.MARKETING,
            created_at__gte=week_start,
        )
        .exclude(state=MessageState.SUPPRESSED)
        .values("member_id", "channel")
        .annotate(
            week=Count("id"),
            day=Count("id", filter=Q(created_at__gte=day_start)),
        )
    )
    return {(r["member_id"], r["channel"]): (r["day"], r["week"]) for r in rows}


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
    shop_name, trigger_off = (
        Shop.objects.filter(pk=shop_id)
        .annotate(
            trigger_off=Exists(KindSwitch.objects.filter(shop_id=shop_id, kind=kind, enabled=False))
        )
        .values_list("name", "trigger_off")
        .get()
    )
    now = clock.now()
    marketing = message_kind.category == Category.MARKETING
    created = 0
    with transaction.atomic():
        plan = _Plan(
            kind=message_kind,
            causes=causes,
            channels=wanted,
            words=wordings_by_channel(shop_id=shop_id, kind=message_kind, channels=wanted),
            context=context,
            shop_name=shop_name,
            shop_settings=shop_settings,
            trigger_off=trigger_off,
            now=now,
            wait_until=quiet_until(shop_settings, now) if marketing else None,
            windows=cap_windows(shop_settings, now),
        )
        for start in range(0, len(members), CHUNK):
            created += _create_chunk(members[start : start + CHUNK], plan)
        if created:
            transaction.on_commit(_enqueue_dispatch)
    return created


def _enqueue_dispatch() -> None:
    from patron.messaging import tasks

    tasks.messages_dispatch.enqueue()


@dataclass(frozen=True)
class _Plan:
    """What every chunk of one send shares: read once per call."""

    kind: MessageKind
    causes: Mapping[int, str]
    channels: Sequence[Channel]
    words: Mapping[str, Mapping[str, Any]]
    context: Context | None
    shop_name: str
    shop_settings: MessagingSettings
    trigger_off: bool
    now: dt.datetime
    wait_until: dt.datetime | None
    windows: tuple[dt.datetime, dt.datetime]


def _create_chunk(chunk: Sequence[Member], plan: _Plan) -> int:
    """The messages of up to ``CHUNK`` members on every channel of the plan:
    each read (what exists, consent, unusable addresses, caps) is one query
    for all channels, and so is the insert with its two counts."""
    kind, causes, channels = plan.kind, plan.causes, plan.channels
    ids = [m.pk for m in chunk]
    chunk_causes = sorted({causes[i] for i in ids})
    done = set(
        Message.objects.filter(
            cause__in=chunk_causes, kind=kind.code, channel__in=channels, member_id__in=ids
        ).values_list("member_id", "cause", "channel")
    )
    todo = [
        (m, channel)
        for channel in channels
        for m in chunk
        if (m.pk, causes[m.pk], channel) not in done
    ]
    if not todo:
        return 0
    todo_ids = sorted({m.pk for m, _channel in todo})
    granted = selectors.granted_by_channel(todo_ids, channels=channels, category=kind.category)
    addresses = {(m.pk, channel): _address(m, channel) for m, channel in todo}
    unusable: set[tuple[str, str]] = set()
    outside = {(channel, a) for (_id, channel), a in addresses.items() if a}
    if outside:
        unusable = set(
            UnusableAddress.objects.filter(
                shop_id=plan.shop_settings.shop_id,
                channel__in={channel for channel, _a in outside},
                address__in={a for _channel, a in outside},
            ).values_list("channel", "address")
        )
    marketing = kind.category == Category.MARKETING
    counts = _cap_counts(todo_ids, channels, *plan.windows) if marketing else {}
    rows = [
        _message_row(
            member,
            channel,
            plan,
            reason=_suppressed(
                member, channel, plan, granted, addresses, unusable, counts, marketing
            ),
            address=addresses[(member.pk, channel)],
        )
        for member, channel in todo
    ]
    # A concurrent call with the same cause may have inserted some first.
    mine = Message.objects.filter(
        cause__in=chunk_causes, kind=kind.code, channel__in=channels, member_id__in=todo_ids
    )
    before = mine.count()
    Message.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return mine.count() - before


def _suppressed(
    member: Member,
    channel: Channel,
    plan: _Plan,
    granted: Mapping[str, set[int]],
    addresses: Mapping[tuple[int, Channel], str],
    unusable: set[tuple[str, str]],
    counts: Mapping[tuple[int, str], tuple[int, int]],
    marketing: bool,
) -> str:
    """Why ``member`` gets nothing on ``channel`` (the first reason that
    holds), or "" when the message goes out."""
    address = addresses[(member.pk, channel)]
    if plan.trigger_off:
        return SuppressReason.TRIGGER_OFF
    if member.pk not in granted[channel]:
        return SuppressReason.CONSENT_REFUSED
    if channel != Channel.INAPP and not address:
        return SuppressReason.NO_ADDRESS
    if (channel, address) in unusable:
        return SuppressReason.ADDRESS_UNUSABLE
    if marketing:
        day, week = counts.get((member.pk, channel), (0, 0))
        if day >= plan.shop_settings.marketing_daily_cap:
            return SuppressReason.DAILY_CAP
        if week >= plan.shop_settings.marketing_weekly_cap:
            return SuppressReason.WEEKLY_CAP
    return ""


def _message_row(
    member: Member, channel: str, plan: _Plan, *, reason: str, address: str
) -> Message:
    kind = plan.kind
    values = plan.context(member) if callable(plan.context) else (plan.context or {})
    words = plan.words[channel]
    wording = words[member.language if member.language in words else "zh-hans"]
    marketing_sms = channel == Channel.SMS and kind.category == Category.MARKETING
    rendered = render_for(
        wording=wording,
        values=render_context(
            member=member, shop_name=plan.shop_name, kind=kind, channel=channel, context=values
        ),
        sms_suffix=plan.shop_settings.sms_opt_out_text if marketing_sms else "",
    )
    return _message(
        shop_id=member.shop_id,
        member_id=member.pk,
        kind=kind,
        channel=channel,
        cause=plan.causes[member.pk],
        address=address,
        rendered=rendered,
        reason=reason,
        due=plan.wait_until or plan.now,
        now=plan.now,
    )


def _message(
    *,
    shop_id: int,
    member_id: int | None,
    kind: MessageKind,
    channel: str,
    cause: str,
    address: str,
    rendered: Rendered,
    reason: str,
    due: dt.datetime,
    now: dt.datetime,
    headers: Mapping[str, str] | None = None,
) -> Message:
    """The outbox row: queued for ``due``, or suppressed with its reason;
    each channel keeps only the parts it sends."""
    return Message(
        shop_id=shop_id,
        member_id=member_id,
        kind=kind.code,
        category=kind.category,
        channel=channel,
        cause=cause,
        language=rendered.language,
        address=address,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html if channel == Channel.EMAIL else "",
        sms_template_code=rendered.sms_template_code if channel == Channel.SMS else "",
        sms_params=rendered.sms_params if channel == Channel.SMS else {},
        headers=dict(headers or {}),
        state=MessageState.SUPPRESSED if reason else MessageState.QUEUED,
        reason=reason,
        next_attempt_at=None if reason else due,
        created_at=now,
    )


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
                _message(
                    shop_id=shop_id,
                    member_id=None,
                    kind=message_kind,
                    channel=Channel.EMAIL,
                    cause=cause,
                    address=address,
                    rendered=rendered,
                    reason=reason,
                    due=now,
                    now=now,
                    headers=headers,
                )
            ],
            ignore_conflicts=True,
        )
        if not reason:
            transaction.on_commit(_enqueue_dispatch)
    return mine.get()
