"""Writes on a shop's messaging settings and trigger switches (operators, audited)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import lazy_format, validation_error
from patron.core.models import Shop
from patron.core.permissions import require_perm
from patron.core.services import audit_record
from patron.messaging.kinds import kind_get
from patron.messaging.models import KindSwitch, MessagingSettings

_EDITABLE = (
    "time_zone",
    "quiet_start",
    "quiet_end",
    "marketing_daily_cap",
    "marketing_weekly_cap",
    "sms_sign_name",
    "sms_opt_out_text",
    "unsubscribe_mailto",
)


def messaging_settings_save(
    *, shop: Shop, fields: dict[str, Any], actor: User | AnonymousUser | None = None
) -> MessagingSettings:
    """Change the shop's messaging settings (time zone, quiet hours, caps, SMS texts)."""
    require_perm(actor, "messaging.change_messagingsettings", shop=shop, what="change settings")
    for name, value in fields.items():
        if name not in _EDITABLE:
            raise validation_error(name, _("unknown setting"))
        if name == "time_zone":
            try:
                zoneinfo.ZoneInfo(str(value))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise validation_error(name, _("not a known time zone")) from None
        if name in ("quiet_start", "quiet_end") and not isinstance(value, dt.time):
            raise validation_error(name, _("must be a time of day"))
        if name.startswith("marketing_") and (
            not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100
        ):
            raise validation_error(
                name,
                lazy_format(_("must be a whole number from %(low)s to %(high)s"), low=0, high=100),
            )
    with transaction.atomic():
        row, _created = MessagingSettings.objects.select_for_update().get_or_create(shop=shop)
        before = {k: str(getattr(row, k)) for k in fields}
        for name, value in fields.items():
            setattr(row, name, value)
        row.full_clean()
        row.save()
        audit_record(
            actor=actor,
            action="messaging.settings_save",
            obj=row,
            before=before,
            after={k: str(v) for k, v in fields.items()},
        )
    return row


def kind_switch_set(
    *, shop: Shop, kind: str, enabled: bool, actor: User | AnonymousUser | None = None
) -> KindSwitch:
    """Switch a trigger (a message kind) on or off for the shop: off, its
    messages are recorded as suppressed (trigger_off)."""
    require_perm(actor, "messaging.change_kindswitch", shop=shop, what="switch message triggers")
    try:
        kind_get(kind)
    except LookupError:
        raise validation_error(
            "kind", lazy_format(_("unknown message kind %(kind)s"), kind=kind)
        ) from None
    with transaction.atomic():
        row, _created = KindSwitch.objects.update_or_create(
            shop=shop, kind=kind, defaults={"enabled": enabled, "updated_at": clock.now()}
        )
        audit_record(
            actor=actor, action="messaging.kind_switch_set", obj=row, after={"enabled": enabled}
        )
    return row
