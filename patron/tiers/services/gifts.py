"""Birthday gifts: once per member per year, by the tier's benefits.

The daily job picks the members set-based (one INSERT .. SELECT per birthday
day in the window, guarded by the unique (member, kind, year) key), then
delivers the day's new gifts: points through the points ledger, coupons
through the promotions app. Delivery is per gift because each one is a ledger
entry or a coupon with its own locks; there are about members / 365 a day.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.apps import apps
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import periods, selectors, sql
from patron.tiers.models import GiftState, TierBenefits, TierGift

logger = logging.getLogger(__name__)

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


def _deliver(gift: TierGift) -> None:
    """Credit the points and issue the coupon of one recorded gift."""
    member = gift.member
    state = GiftState.RECORDED
    reference = ""
    if gift.points > 0 and apps.is_installed("patron.points"):
        from patron.points.models import EntryKind
        from patron.points.services import ledger

        account = ledger.account_lock(member=member)
        entry, _lot = ledger.do_credit(
            account,
            points=int(gift.points),
            kind=EntryKind.EARN,
            refs=ledger.Refs(
                reason_code="tier_birthday_gift",
                reason_params={"tier": gift.tier.code, "year": gift.year},
                idempotency_key=f"tier-gift:{gift.pk}",
            ),
            expires_at=ledger.expiry_for(ledger.program_for(member.shop), clock.now()),
        )
        state = GiftState.CREDITED
        reference = f"ledger:{entry.pk}"
    if gift.coupon_template:
        state = GiftState.COUPON_PENDING
        if apps.is_installed("patron.promotions"):
            from patron.promotions import services as promotions
            from patron.promotions.models import CouponSource

            try:
                with transaction.atomic():
                    template = promotions.template_get(shop=member.shop, code=gift.coupon_template)
                    coupon = promotions.coupon_issue(
                        template=template,
                        member=member,
                        source=CouponSource.BIRTHDAY,
                        source_ref=f"tier-gift:{gift.pk}",
                        check_member_limit=False,
                    )
                state = GiftState.COUPON_ISSUED
                reference = ";".join(filter(None, [reference, f"coupon:{coupon.pk}"]))
            except PatronError as error:
                # Left as a recorded grant for an operator (or a later run) to act on.
                logger.warning("birthday coupon for gift %s not issued: %s", gift.pk, error.detail)
    TierGift.objects.filter(pk=gift.pk).update(state=state, reference=reference[:100])


def birthday_gifts_grant(*, shop: Shop, today: dt.date | None = None) -> int:
    """Grant this year's birthday gift to members whose birthday is in the
    window around ``today`` and who have not had it. Returns gifts granted."""
    today = today or clock.today()
    program = selectors.program_of(shop)
    tiers = selectors.active_tiers(shop)
    if not tiers:
        return 0
    lowest = tiers[0].pk
    now = clock.now()
    granted = 0
    with transaction.atomic():
        for month, day, year in periods.birthday_keys(
            today, program.birthday_days_before, program.birthday_days_after
        ):
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
        for gift in TierGift.objects.filter(
            shop=shop, kind="birthday", state=GiftState.RECORDED
        ).select_related("member__shop", "tier"):
            _deliver(gift)
    return granted
