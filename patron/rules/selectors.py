from __future__ import annotations

import datetime as dt

from django.db.models import F, Q

from patron.core.models import Shop
from patron.rules.models import EarningRuleVersion


def versions_in_force(*, shop: Shop, trigger: str, at: dt.datetime) -> list[EarningRuleVersion]:
    """The current version of every active rule for ``trigger`` that is in its window at ``at``."""
    return list(
        EarningRuleVersion.objects.select_related("rule")
        .filter(
            rule__shop=shop,
            rule__trigger=trigger,
            rule__is_active=True,
            pk=F("rule__current_version_id"),
        )
        .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=at))
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=at))
        .order_by("rule_id")
    )
