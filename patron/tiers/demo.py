"""seed-demo step: tiers for the demo shop, computed from its orders, set-based."""

from __future__ import annotations

from typing import Any

from patron.tiers.services.definitions import tiers_seed_defaults
from patron.tiers.services.evaluation import tiers_backfill
from patron.tiers.services.rebuild import growth_rebuild


def step_tiers(ctx: Any) -> None:
    """Default tiers, growth value rebuilt from the demo orders and events, and
    each member put in the tier that value reaches (INSERT .. SELECT throughout)."""
    shop = ctx.shop
    assert shop is not None
    tiers_seed_defaults(shop=shop)
    counts = growth_rebuild(shop=shop)
    run = tiers_backfill(shop=shop)
    ctx.summary["growth_months"] = counts.get("months", 0)
    ctx.summary["tiered_members"] = run.counts.get("upgraded", 0) if run else 0
