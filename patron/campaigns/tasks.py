"""Campaign jobs for the scheduler; each is safe to run as often as it likes."""

from __future__ import annotations

from django_tasks import task

from patron.campaigns.services.birthday_gifts import birthday_gifts_grant
from patron.campaigns.services.monthly_packs import monthly_coupon_packs_deliver
from patron.core.models import Shop
from patron.tiers.models import TierProgram


def _shops() -> list[Shop]:
    ids = TierProgram.objects.values_list("shop_id", flat=True)
    return list(Shop.objects.filter(pk__in=ids).order_by("pk"))


@task()
def campaigns_monthly_coupon_packs() -> dict[str, dict[str, int]]:
    """This month's coupon packs of every shop with tiers: recorded once a
    month per member, delivered, and pending ones tried again."""
    return {shop.name: monthly_coupon_packs_deliver(shop=shop) for shop in _shops()}


@task()
def campaigns_birthday_gifts() -> int:
    """This year's birthday gifts in the window around today; keyed by (member, year)."""
    return sum(birthday_gifts_grant(shop=shop) for shop in _shops())
