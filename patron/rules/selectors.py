from __future__ import annotations

import datetime as dt

from django.db.models import F

from patron.core import config_cache
from patron.core.models import Shop
from patron.rules.models import EarningRuleVersion


def versions_in_force(*, shop: Shop, trigger: str, at: dt.datetime) -> list[EarningRuleVersion]:
    """The current version of every active rule for ``trigger`` that is in its
    window at ``at``, by rule id. Cached within an event (``core.config_cache``):
    do not modify the versions."""

    def load() -> list[EarningRuleVersion]:
        return list(
            EarningRuleVersion.objects.select_related("rule")
            .filter(
                rule__shop=shop,
                rule__trigger=trigger,
                rule__is_active=True,
                pk=F("rule__current_version_id"),
            )
            .order_by("rule_id")
        )

    current = config_cache.cached(shop.pk, f"rules.{trigger}", load)
    return [
        v
        for v in current
        if (v.starts_at is None or v.starts_at <= at) and (v.ends_at is None or v.ends_at > at)
    ]
