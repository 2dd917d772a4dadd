"""Birthday gifts, the tiers' side: what each member is owed, recorded once per
member and year by the tier's benefits. Handing the gift out (points and the
coupon) is the campaigns app's job (``campaigns.services.birthday_gifts``),
which calls these functions; tiers never reaches up into promotions.

The recording is set-based: one INSERT .. SELECT per birthday day in the
window, guarded by the unique (member, kind, year) key.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import periods, selectors, sql
from patron.tiers.models import GiftState, TierBenefits, TierGift

GIFT_COLUMNS = [
    "shop",
    "member",
    "kind",
    "year",
    "tier",
    "points",
    "coupon_template",
    "state",
    "granted_at",
    "reference",
]

BirthdayKey = tuple[int, int, int]  # (month, day, year) of a birthday in the window


def birthday_gifts_record(*, shop: Shop, today: dt.date) -> tuple[int, list[BirthdayKey]]:
    """Record this year's birthday gift of members whose birthday is in the
    window around ``today`` and who have not had it. Returns the gifts recorded
    and the window's birthday keys. Call inside the delivering transaction."""
    program = selectors.tier_program_get(shop)
    tiers = selectors.active_tiers(shop)
    keys = periods.birthday_keys(today, program.birthday_days_before, program.birthday_days_after)
    if not tiers:
        return 0, keys
    lowest = tiers[0].pk
    now = clock.now()
    granted = 0
    for month, day, year in keys:
        benefits = TierBenefits.objects.filter(tier_id=OuterRef("c_tier"))
        candidates = (
            Member.objects.filter(shop=shop, birthday__month=month, birthday__day=day)
            .annotate(
                c_tier=Coalesce(F("tier_state__tier_id"), Value(lowest)),
            )
            .annotate(
                c_points=Subquery(benefits.values("birthday_gift_points")[:1]),
                c_coupon=Subquery(benefits.values("birthday_coupon_template")[:1]),
            )
            .filter(Q(c_points__gt=0) | ~Q(c_coupon=""))
            .annotate(
                c_shop=F("shop_id"),
                c_member=F("pk"),
                c_kind=Value("birthday", output_field=CharField()),
                c_year=Value(year, output_field=IntegerField()),
                c_tier2=F("c_tier"),
                c_points2=Coalesce(F("c_points"), Value(0), output_field=BigIntegerField()),
                c_coupon2=Coalesce(F("c_coupon"), Value(""), output_field=CharField()),
                c_state=Value(GiftState.RECORDED.value, output_field=CharField()),
                c_at=Value(now, output_field=DateTimeField()),
                c_ref=Value("", output_field=CharField()),
            )
            .values(
                "c_shop",
                "c_member",
                "c_kind",
                "c_year",
                "c_tier2",
                "c_points2",
                "c_coupon2",
                "c_state",
                "c_at",
                "c_ref",
            )
        )
        granted += sql.insert_select(
            TierGift,
            GIFT_COLUMNS,
            candidates,
            on_conflict="ON CONFLICT (member_id, kind, year) DO NOTHING",
        )
    return granted, keys


def gifts_recorded_locked(*, shop: Shop) -> QuerySet[TierGift]:
    """Birthday gifts recorded and not yet delivered, row-locked, oldest first."""
    return (
        TierGift.objects.select_for_update(of=("self",))
        .filter(shop=shop, kind="birthday", state=GiftState.RECORDED)
        .select_related("member__shop", "tier")
        .order_by("pk")
    )


def gifts_coupon_pending_locked(*, shop: Shop, keys: list[BirthdayKey]) -> QuerySet[TierGift]:
    """Birthday gifts whose coupon is still to be issued and whose birthday is
    in the window of ``keys``, row-locked, oldest first."""
    in_window = Q()
    for month, day, year in keys:
        in_window |= Q(member__birthday__month=month, member__birthday__day=day, year=year)
    return (
        TierGift.objects.select_for_update(of=("self",))
        .filter(in_window, shop=shop, kind="birthday", state=GiftState.COUPON_PENDING)
        .exclude(coupon_template="")
        .select_related("member__shop", "tier")
        .order_by("pk")
    )


def gift_mark(*, gift: TierGift, state: str, reference: str) -> None:
    """Record how far a gift's delivery got (the caller holds its row lock)."""
    TierGift.objects.filter(pk=gift.pk).update(state=state, reference=reference[:100])
