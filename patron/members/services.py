"""Writes on members: create or update by the shop's id, with validated PII.

Creating a member and the first time their profile is complete are the
moments the sign-up and profile-completed points are granted: every write
here ends in ``member_milestones_record``, in its transaction, which runs the
milestone handlers that apps above members register (points registers its
sign-up and profile points).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, Protocol

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, Text, lazy_format
from patron.core.locks import insert_or_first, lock_rows
from patron.core.models import Shop
from patron.core.pii import normalize_email, normalize_phone
from patron.core.validation import UNSTORABLE_MESSAGE, check_external_id, find_unstorable
from patron.members.models import Gender, Language, Member, RegistrationChannel

# The event that caused a write (an events.models.Event: events sits above
# members, so it is not imported here), or None.
Event = Any


class MilestoneHandler(Protocol):
    def __call__(
        self, *, member: Member, signed_up: bool, profile_completed: bool, event: Event | None
    ) -> list[dict[str, Any]]: ...


_milestone_handlers: list[MilestoneHandler] = []


def member_milestone_handler_register(handler: MilestoneHandler) -> None:
    """Run ``handler`` when a member is created or first completes their
    profile, in that write's transaction; it returns the effects it made."""
    if handler not in _milestone_handlers:
        _milestone_handlers.append(handler)


class ConsentWriter(Protocol):
    def __call__(self, *, member: Member, consents: dict[str, bool], source: str) -> None: ...


_consent_writer: ConsentWriter | None = None

CONSENT_FIELDS = {"consent_email": "email", "consent_sms": "sms", "consent_in_app": "in_app"}


def member_consent_writer_register(writer: ConsentWriter) -> None:
    """Let messaging own consent: ``member_upsert`` hands the ``consent_*``
    fields it is given (marketing opt-in per channel: ``email``, ``sms``,
    ``in_app``) to ``writer``, in its transaction, instead of writing them."""
    global _consent_writer
    _consent_writer = writer


PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "birthday",
    "gender",
    "registered_at",
    "registration_channel",
    "language",
    "consent_email",
    "consent_sms",
    "consent_in_app",
)


def _clean(fields: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Validate and normalise profile fields; unknown keys are refused."""
    cleaned: dict[str, Any] = {}

    def fail(name: str, message: Text) -> PatronError:
        return PatronError(ErrorCode.VALIDATION_ERROR, message, field=f"{prefix}{name}")

    for name, value in fields.items():
        if name not in PROFILE_FIELDS:
            raise fail(name, lazy_format(_("unknown field %(name)s"), name=repr(name)))
        if value is None:
            continue
        if name == "phone":
            if value == "":
                cleaned[name] = ""
                continue
            try:
                value = normalize_phone(str(value))
            except ValidationError as exc:
                raise fail(name, exc.messages[0]) from None
        elif name == "email":
            if value == "":
                cleaned[name] = ""
                continue
            try:
                value = normalize_email(str(value))
            except ValidationError:
                raise fail(name, _("not a valid e-mail address")) from None
        elif name == "name":
            value = str(value).strip()
            if len(value) > 100:
                raise fail(name, _("at most 100 characters"))
        elif name == "birthday":
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise fail(name, _("must be a date (YYYY-MM-DD)"))
            if value > clock.today() or value.year < 1900:
                raise fail(name, _("must be a past date after 1900"))
        elif name == "registered_at":
            if not isinstance(value, dt.datetime) or value.tzinfo is None:
                raise fail(name, _("must be a date-time with a time zone"))
        elif name == "gender" and value not in Gender.values:
            raise fail(
                name,
                lazy_format(
                    _("must be one of %(value)s"), value=", ".join(v for v in Gender.values if v)
                ),
            )
        elif name == "language" and value not in Language.values:
            raise fail(
                name, lazy_format(_("must be one of %(value)s"), value=", ".join(Language.values))
            )
        elif name == "registration_channel" and value not in RegistrationChannel.values:
            raise fail(
                name,
                lazy_format(
                    _("must be one of %(value)s"), value=", ".join(RegistrationChannel.values)
                ),
            )
        elif name.startswith("consent_") and not isinstance(value, bool):
            raise fail(name, _("must be true or false"))
        cleaned[name] = value
    return cleaned


def member_lock(member: Member) -> None:
    """Lock the member's row for this transaction: serialises one member's
    limited actions, growth and tier state (third in ``core.locks``' order)."""
    lock_rows(Member.objects.all(), [member.pk])


def members_lock(member_ids: list[int]) -> None:
    """``member_lock`` for many members, in id order."""
    lock_rows(Member.objects.all(), member_ids)


class MemberUpsert(NamedTuple):
    member: Member
    created: bool
    effects: list[dict[str, Any]]  # the points it granted (member_milestones_record)


def member_upsert(
    *,
    shop: Shop,
    external_id: str,
    fields: dict[str, Any],
    field_prefix: str = "",
    event: Event | None = None,
    consent_source: str = "shop_api",
) -> MemberUpsert:
    """Create the member or update the given fields, and grant what creating
    the member or completing their profile earns. ``event`` is the event that
    caused it, if one did; ``consent_source`` names where ``consent_*``
    fields came from (messaging records it with the change)."""
    external_id = (external_id or "").strip()
    if not external_id or len(external_id) > 64:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            _("external_id must be 1 to 64 characters"),
            field=f"{field_prefix}external_id" if field_prefix else "external_id",
        )
    try:
        check_external_id(external_id)
    except ValueError as exc:
        # Only new members are refused: one stored before this rule keeps
        # being updated (the portal updates members by their external id).
        if not Member.objects.filter(shop=shop, external_id=external_id).exists():
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                gettext_lazy(str(exc)),
                field=f"{field_prefix}external_id",
            ) from None
    unstorable_at = find_unstorable({"external_id": external_id, **fields})
    if unstorable_at is not None:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, UNSTORABLE_MESSAGE, field=f"{field_prefix}{unstorable_at}"
        )
    cleaned = _clean(fields, field_prefix)
    consents: dict[str, bool] = {}
    if _consent_writer is not None:
        consents = {CONSENT_FIELDS[k]: cleaned.pop(k) for k in list(cleaned) if k in CONSENT_FIELDS}
    now = clock.now()
    with transaction.atomic():
        member = (
            Member.objects.select_for_update().filter(shop=shop, external_id=external_id).first()
        )
        created = False
        if member is None:
            # A concurrent request may create it first; then update that one.
            inserted, created = insert_or_first(
                lambda: Member.objects.create(
                    shop=shop,
                    external_id=external_id,
                    created_at=now,
                    updated_at=now,
                    **{"registered_at": now, **cleaned},
                ),
                lambda: Member.objects.select_for_update().get(shop=shop, external_id=external_id),
            )
            member = inserted
        if not created:
            changed = [k for k, v in cleaned.items() if getattr(member, k) != v]
            for k in changed:
                setattr(member, k, cleaned[k])
            if changed:
                member.updated_at = now
                member.save(update_fields=[*changed, "updated_at"])
        member.shop = shop
        if consents and _consent_writer is not None:
            _consent_writer(member=member, consents=consents, source=consent_source)
        effects = member_milestones_record(member=member, created=created, event=event)
        return MemberUpsert(member, created, effects)


def member_milestones_record(
    *, member: Member, created: bool, event: Event | None = None
) -> list[dict[str, Any]]:
    """After a write on ``member`` (just saved, ``created`` if by this
    transaction): the first time their profile is complete, stamp
    ``profile_completed_at``; then grant the sign-up points if ``created`` and
    the profile-completed points if this was the first time. Returns the points
    effects.

    The stamp is a conditional update, so of two concurrent writers only one
    sees the first time, and it is never cleared: emptying the profile and
    filling it in again earns nothing.
    """
    completed = False
    if member.profile_completed_at is None and member.has_complete_profile:
        now = clock.now()
        completed = bool(
            Member.objects.filter(pk=member.pk, profile_completed_at__isnull=True).update(
                profile_completed_at=now
            )
        )
        if completed:
            member.profile_completed_at = now
    if not (created or completed):
        return []
    effects: list[dict[str, Any]] = []
    for handler in _milestone_handlers:
        effects += handler(
            member=member, signed_up=created, profile_completed=completed, event=event
        )
    return effects
