"""Writes on earning rules. Every change adds an immutable version."""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.config_cache import config_changed
from patron.core.errors import ErrorCode, PatronError, Text, lazy_format
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.rules import cel
from patron.rules.models import EarningRule, EarningRuleVersion, Trigger

CUSTOM_TRIGGER = re.compile(r"^custom\.[a-z0-9_]{1,60}$")
VERSION_FIELDS = (
    "condition",
    "starts_at",
    "ends_at",
    "points",
    "photo_bonus_points",
    "points_per_yuan",
    "spend_step_yuan",
    "min_order_amount",
    "category_multipliers",
    "sku_multipliers",
    "tier_multipliers",
    "member_day_of_month",
    "member_day_multiplier",
    "campaign_name",
    "campaign_starts_at",
    "campaign_ends_at",
    "campaign_multiplier",
    "daily_cap",
    "monthly_cap",
    "streak_bonuses",
)
_PERCENT_MAPS = ("category_multipliers", "sku_multipliers", "tier_multipliers")
_MAX_PERCENT = 10_000  # ×100 at most: a typo should not mint a fortune


def _fail(field: str, message: Text) -> PatronError:
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        lazy_format(_("%(field)s: %(message)s"), field=field, message=message),
        field=field,
    )


def trigger_validate(trigger: str) -> str:
    trigger = (trigger or "").strip()
    if trigger not in Trigger.values and not CUSTOM_TRIGGER.match(trigger):
        raise _fail("trigger", lazy_format(_("unknown trigger %(trigger)s"), trigger=repr(trigger)))
    return trigger


def version_fields_clean(fields: dict[str, Any], *, trigger: str | None = None) -> dict[str, Any]:
    """Check a rule version's settings; raise PatronError naming the field. The
    condition is type-checked against the variables of ``trigger``."""
    unknown = set(fields) - set(VERSION_FIELDS)
    if unknown:
        raise _fail(sorted(unknown)[0], _("unknown field"))
    cleaned = dict(fields)
    cel.validate(cleaned.get("condition") or "", field="condition", trigger=trigger)
    for name in (
        "points",
        "photo_bonus_points",
        "points_per_yuan",
        "min_order_amount",
        "daily_cap",
        "monthly_cap",
    ):
        value = cleaned.get(name)
        if value is not None and (
            not isinstance(value, int) or isinstance(value, bool) or value < 0
        ):
            raise _fail(name, _("must be a whole number of at least 0"))
    for name in _PERCENT_MAPS:
        value = cleaned.get(name) or {}
        if not isinstance(value, dict):
            raise _fail(name, _('must be an object such as {"gold": 150}'))
        for key, pct in value.items():
            if not isinstance(pct, int) or isinstance(pct, bool) or not 0 <= pct <= _MAX_PERCENT:
                raise _fail(
                    name,
                    lazy_format(
                        _("%(key)s: a whole percentage from 0 to %(MAX_PERCENT)s"),
                        key=repr(key),
                        MAX_PERCENT=_MAX_PERCENT,
                    ),
                )
        cleaned[name] = {str(k): v for k, v in value.items()}
    step = cleaned.get("spend_step_yuan")
    if step is not None and (
        not isinstance(step, int) or isinstance(step, bool) or not 1 <= step <= 100_000
    ):
        raise _fail("spend_step_yuan", _("a whole number of yuan from 1 to 100000"))
    day = cleaned.get("member_day_of_month")
    if day is not None and (not isinstance(day, int) or not 1 <= day <= 31):
        raise _fail("member_day_of_month", _("a day of the month from 1 to 31"))
    mult = cleaned.get("member_day_multiplier")
    if mult is not None and (not isinstance(mult, int) or not 0 <= mult <= _MAX_PERCENT):
        raise _fail(
            "member_day_multiplier",
            lazy_format(
                _("a whole percentage from 0 to %(MAX_PERCENT)s"), MAX_PERCENT=_MAX_PERCENT
            ),
        )
    campaign = cleaned.get("campaign_multiplier")
    if campaign is not None and (
        not isinstance(campaign, int) or not 0 <= campaign <= _MAX_PERCENT
    ):
        raise _fail(
            "campaign_multiplier",
            lazy_format(
                _("a whole percentage from 0 to %(MAX_PERCENT)s"), MAX_PERCENT=_MAX_PERCENT
            ),
        )
    if campaign not in (None, 100):
        starts, ends = cleaned.get("campaign_starts_at"), cleaned.get("campaign_ends_at")
        if starts is None or ends is None:
            raise _fail(
                "campaign_starts_at" if starts is None else "campaign_ends_at",
                _("a campaign multiplier needs the campaign's start and end"),
            )
        if ends <= starts:
            raise _fail("campaign_ends_at", _("must be after the campaign's start"))
    if len(cleaned.get("campaign_name") or "") > 100:
        raise _fail("campaign_name", _("at most 100 characters"))
    bonuses = cleaned.get("streak_bonuses") or {}
    if not isinstance(bonuses, dict):
        raise _fail("streak_bonuses", _('must be an object such as {"7": 50}'))
    for key, pts in bonuses.items():
        if not str(key).isdigit() or int(key) < 1:
            raise _fail(
                "streak_bonuses",
                lazy_format(_("%(key)s: the key is a streak length in days"), key=repr(key)),
            )
        if not isinstance(pts, int) or isinstance(pts, bool) or pts < 0:
            raise _fail(
                "streak_bonuses",
                lazy_format(_("%(key)s: points must be a whole number"), key=repr(key)),
            )
    cleaned["streak_bonuses"] = {str(int(k)): v for k, v in bonuses.items()}
    starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise _fail("ends_at", _("must be after starts_at"))
    return cleaned


def rule_create(
    *,
    shop: Shop,
    name: str,
    trigger: str,
    fields: dict[str, Any],
    is_active: bool = True,
    actor: User | AnonymousUser | None = None,
) -> EarningRule:
    trigger = trigger_validate(trigger)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise _fail("name", _("1 to 100 characters"))
    cleaned = version_fields_clean(fields, trigger=trigger)
    with transaction.atomic():
        rule = EarningRule.objects.create(
            shop=shop, name=name, trigger=trigger, is_active=is_active, created_at=clock.now()
        )
        version = _add_version(rule=rule, cleaned=cleaned, actor=actor)
        audit_record(
            actor=actor,
            action="earning_rule.create",
            obj=rule,
            after={"trigger": trigger, "version": version.version, **cleaned},
        )
    return rule


def _add_version(
    *, rule: EarningRule, cleaned: dict[str, Any], actor: User | AnonymousUser | None
) -> EarningRuleVersion:
    last = rule.versions.aggregate(m=Max("version"))["m"] or 0
    version = EarningRuleVersion.objects.create(
        rule=rule,
        version=last + 1,
        created_at=clock.now(),
        created_by=actor if isinstance(actor, User) else None,
        **cleaned,
    )
    rule.current_version = version
    rule.save(update_fields=["current_version"])
    return version


def rule_update(
    *,
    rule: EarningRule,
    fields: dict[str, Any],
    actor: User | AnonymousUser | None = None,
) -> EarningRuleVersion:
    """Add a version: the current settings with ``fields`` changed."""
    with transaction.atomic():
        rule = EarningRule.objects.select_for_update().get(pk=rule.pk)
        current = rule.current_version
        base = {f: getattr(current, f) for f in VERSION_FIELDS} if current else {}
        cleaned = version_fields_clean({**base, **fields}, trigger=rule.trigger)
        version = _add_version(rule=rule, cleaned=cleaned, actor=actor)
        audit_record(
            actor=actor,
            action="earning_rule.new_version",
            obj=rule,
            before=base or None,
            after={"version": version.version, **cleaned},
        )
    return version


def rule_set_active(
    *, rule: EarningRule, is_active: bool, actor: User | AnonymousUser | None = None
) -> None:
    with transaction.atomic():
        EarningRule.objects.filter(pk=rule.pk).update(is_active=is_active)
        config_changed(rule.shop_id)
        audit_record(
            actor=actor,
            action="earning_rule.activate" if is_active else "earning_rule.deactivate",
            obj=rule,
        )
