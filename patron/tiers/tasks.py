"""Tier jobs for the scheduler. Each visits the shops with a tier programme and
is safe to run as often as the schedule likes: evaluations are keyed by (shop,
period). Birthday gifts and monthly coupon packs are handed out by campaigns."""

from __future__ import annotations

from django_tasks import task

from patron.core.models import Shop
from patron.tiers.models import TierProgram
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.services.stats import tier_stats_refresh_due


def _shops() -> list[Shop]:
    ids = TierProgram.objects.values_list("shop_id", flat=True)
    return list(Shop.objects.filter(pk__in=ids).order_by("pk"))


@task()
def tiers_period_evaluate() -> dict[str, dict[str, int]]:
    """Evaluate the last completed period of every shop that has not had it."""
    done: dict[str, dict[str, int]] = {}
    for shop in _shops():
        run = tiers_evaluate_period(shop=shop)
        if run is not None:
            done[shop.name] = run.counts
    return done


@task()
def tiers_stats_refresh() -> int:
    """The current period so far, and the previous one until it has been
    computed after its end."""
    return sum(len(tier_stats_refresh_due(shop=shop)) for shop in _shops())
