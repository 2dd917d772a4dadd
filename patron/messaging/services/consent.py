"""Writes on consent: the member's preferences, each change recorded with its source."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.permissions import require_perm
from patron.core.pii import normalize_phone
from patron.core.services import audit_record
from patron.members.models import Member
from patron.messaging.consent import (
    ALWAYS_ON,
    CHANNEL_MEMBER_FIELDS,
    DEFAULTS,
    MEMBER_FLAG_CHANNELS,
    unsubscribe_read,
)
from patron.messaging.models import Category, Channel, ConsentChange, ConsentSource, Preference

Changes = Mapping[tuple[str, str], bool]


def _check(changes: Changes, source: str) -> None:
    if source not in ConsentSource.values:
        raise ValueError(f"unknown consent source {source!r}")
    for channel, category in changes:
        if channel not in Channel.values:
            raise validation_error(
                channel,
                lazy_format(
                    _("unknown channel (one of %(known)s)"), known=", ".join(Channel.values)
                ),
            )
        if category not in Category.values:
            raise validation_error(
                f"{channel}.{category}",
                lazy_format(
                    _("unknown category (one of %(known)s)"), known=", ".join(Category.values)
                ),
            )
        if (channel, category) in ALWAYS_ON and not changes[(channel, category)]:
            raise validation_error(
                f"{channel}.{category}", _("in-app transactional messages cannot be turned off")
            )


def preferences_set(
    *,
    member: Member,
    changes: Changes,
    source: str,
    actor: str = "",
    operator: User | AnonymousUser | None = None,
) -> list[ConsentChange]:
    """Set the member's consent for each (channel, category) in ``changes``;
    record each real change with ``source`` and ``actor``. An operator's
    change (source console) is permission-checked and audited as well.
    Returns the changes recorded (a repeat of the current choice records none)."""
    _check(changes, source)
    if operator is not None:
        require_perm(
            operator, "messaging.change_preference", shop=member.shop_id, what="change consent"
        )
        actor = actor or operator.get_username()
    now = clock.now()
    with transaction.atomic():
        current = {
            (p.channel, p.category): p
            for p in Preference.objects.select_for_update().filter(member=member)
        }
        recorded: list[ConsentChange] = []
        for (channel, category), granted in changes.items():
            row = current.get((channel, category))
            before = row.granted if row is not None else DEFAULTS[category]
            if row is None:
                Preference.objects.create(
                    member=member,
                    channel=channel,
                    category=category,
                    granted=granted,
                    updated_at=now,
                )
            elif row.granted != granted:
                Preference.objects.filter(pk=row.pk).update(granted=granted, updated_at=now)
            if before == granted:
                continue
            recorded.append(
                ConsentChange(
                    member=member,
                    channel=channel,
                    category=category,
                    granted=granted,
                    source=source,
                    actor=actor[:150],
                    at=now,
                )
            )
        ConsentChange.objects.bulk_create(recorded)
        # Mirror marketing opt-in onto the member for readers that predate messaging.
        mirror = {
            CHANNEL_MEMBER_FIELDS[c.channel]: c.granted
            for c in recorded
            if c.category == Category.MARKETING
        }
        if mirror:
            Member.objects.filter(pk=member.pk).update(**mirror)
            for name, value in mirror.items():
                setattr(member, name, value)
        if operator is not None and recorded:
            audit_record(
                actor=operator,
                action="messaging.preferences_set",
                obj=member,
                after={f"{c.channel}.{c.category}": c.granted for c in recorded},
            )
    return recorded


def member_consents_write(*, member: Member, consents: dict[str, bool], source: str) -> None:
    """The writer ``members.services.member_upsert`` hands its ``consent_*``
    fields to: marketing opt-in per channel (``email``, ``sms``, ``in_app``)."""
    preferences_set(
        member=member,
        changes={
            (MEMBER_FLAG_CHANNELS[name], Category.MARKETING): value
            for name, value in consents.items()
        },
        source=source if source in ConsentSource.values else ConsentSource.SHOP_API,
        actor="shop" if source == ConsentSource.SHOP_API else "",
    )


def unsubscribe_by_token(token: str) -> ConsentChange | bool | None:
    """Turn off what a one-click unsubscribe token names. False: not a valid
    token; None: valid but nothing changed (already off); else the change."""
    found = unsubscribe_read(token)
    if found is None:
        return False
    member = Member.objects.filter(pk=found.member_id).first()
    if member is None or (found.channel, found.category) in ALWAYS_ON:
        return False
    changes = preferences_set(
        member=member,
        changes={(found.channel, found.category): False},
        source=ConsentSource.UNSUBSCRIBE_LINK,
        actor="member",
    )
    return changes[0] if changes else None


# What a member replies to unsubscribe from SMS marketing: T, TD, 退订, STOP,
# UNSUBSCRIBE (any case, spaces and punctuation around them ignored).
_STOP_WORDS = {"T", "TD", "退订", "STOP", "UNSUBSCRIBE", "N"}
_TRIM = re.compile(r"^[\s\W_]+|[\s\W_]+$", re.UNICODE)


def sms_reply_receive(*, phone: str, text: str) -> int:
    """An inbound SMS reply: a stop word unsubscribes every member with that
    phone from SMS marketing (source sms_reply). Returns how many members changed."""
    word = _TRIM.sub("", text or "").upper()
    if word not in _STOP_WORDS:
        return 0
    try:
        normalized = normalize_phone(phone)
    except ValidationError:  # a gateway's odd sender id is not our error
        return 0
    changed = 0
    for member in Member.objects.filter(phone=normalized).order_by("pk"):
        if preferences_set(
            member=member,
            changes={(Channel.SMS, Category.MARKETING): False},
            source=ConsentSource.SMS_REPLY,
            actor=f"sms:{member.masked_phone}",
        ):
            changed += 1
    return changed


def preferences_import(*, members: Sequence[Member], actor: str = "import") -> int:
    """Members created in bulk with ``consent_*`` flags (demo data, imports):
    their marketing opt-ins become preferences, recorded with source import.
    Set-based; a member who already has a marketing preference on a channel
    keeps it. Returns how many preferences it created."""
    now = clock.now()
    created = 0
    with transaction.atomic():
        for start in range(0, len(members), 2000):
            chunk = members[start : start + 2000]
            have = set(
                Preference.objects.filter(
                    member_id__in=[m.pk for m in chunk], category=Category.MARKETING
                ).values_list("member_id", "channel")
            )
            wanted = [
                (m, channel)
                for m in chunk
                for channel, field_name in CHANNEL_MEMBER_FIELDS.items()
                if getattr(m, field_name) and (m.pk, channel) not in have
            ]
            Preference.objects.bulk_create(
                [
                    Preference(
                        member=m,
                        channel=c,
                        category=Category.MARKETING,
                        granted=True,
                        updated_at=now,
                    )
                    for m, c in wanted
                ]
            )
            ConsentChange.objects.bulk_create(
                [
                    ConsentChange(
                        member=m,
                        channel=c,
                        category=Category.MARKETING,
                        granted=True,
                        source=ConsentSource.IMPORT,
                        actor=actor,
                        at=now,
                    )
                    for m, c in wanted
                ]
            )
            created += len(wanted)
    return created
