"""Birthday gifts: once per member per year, by the tier's benefits.

The daily job picks the members set-based (one INSERT .. SELECT per birthday
day in the window, guarded by the unique (member, kind, year) key), then
delivers the day's new gifts: points through the points ledger, coupons
through the promotions app. Delivery is per gift because each one is a ledger
entry or a coupon with its own locks; there are about members / 365 a day.

A coupon that cannot be issued (template missing, ended, sold out) leaves the
gift ``coupon_pending``, with the failure in the audit log; every run tries
it again while the birthday is inside the catch-up window, so an operator who
creates or refills the template in time gets it delivered. The gift row is
locked and its state re-read before each attempt, and the coupon's source
reference is the gift, so a coupon is never issued twice.
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
from patron.core.services import audit_record
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
    state: str = GiftState.RECORDED
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
        state, reference = _issue_coupon(gift, reference)
    TierGift.objects.filter(pk=gift.pk).update(state=state, reference=reference[:100])


def _issue_coupon(gift: TierGift, reference: str) -> tuple[str, str]:
    """Issue the gift's coupon; the gift's new state and reference. A coupon
    already issued for the gift is found, not issued again."""
    if not apps.is_installed("patron.promotions"):
        return GiftState.COUPON_PENDING, reference
    from patron.promotions import services as promotions
    from patron.promotions.models import Coupon, CouponSource

    member = gift.member
    source_ref = f"tier-gift:{gift.pk}"
    coupon = Coupon.objects.filter(
        member=member, source=CouponSource.BIRTHDAY, source_ref=source_ref
    ).first()
    if coupon is None:
        try:
            with transaction.atomic():
                template = promotions.template_get(shop=member.shop, code=gift.coupon_template)
                coupon = promotions.coupon_issue(
                    template=template,
                    member=member,
                    source=CouponSource.BIRTHDAY,
                    source_ref=source_ref,
                    check_member_limit=False,
                )
        except PatronError as error:
            # Kept pending: the next runs retry while the birthday is in the
            # catch-up window, and an operator sees why in the audit log.
            logger.warning("birthday coupon for gift %s not issued: %s", gift.pk, error.detail)
            audit_record(
                actor=None,
                action="tier_gift.coupon_failed",
                obj=gift,
                after={"coupon_template": gift.coupon_template, "code": str(error.code)},
                reason=error.detail,
            )
            return GiftState.COUPON_PENDING, reference
    return GiftState.COUPON_ISSUED, ";".join(filter(None, [reference, f"coupon:{coupon.pk}"]))


def _retry_coupons(*, shop: Shop, keys: list[tuple[int, int, int]]) -> None:
    """Try again the coupons of gifts still pending whose birthday is inside
    the catch-up window. Their points (if any) were credited already."""
    in_window = Q()
    for month, day, year in keys:
        in_window |= Q(member__birthday__month=month, member__birthday__day=day, year=year)
    pending = (
        TierGift.objects.select_for_update(of=("self",))
        .filter(in_window, shop=shop, kind="birthday", state=GiftState.COUPON_PENDING)
        .exclude(coupon_template="")
        .select_related("member__shop", "tier")
        .order_by("pk")
    )
    for gift in pending:
        state, reference = _issue_coupon(gift, gift.reference)
        if state != gift.state:
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
    keys = periods.birthday_keys(today, program.birthday_days_before, program.birthday_days_after)
    with transaction.atomic():
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
        # Earlier gifts' coupons first, so a gift that fails today is tried once.
        _retry_coupons(shop=shop, keys=keys)
        for gift in (
            TierGift.objects.select_for_update(of=("self",))
            .filter(shop=shop, kind="birthday", state=GiftState.RECORDED)
            .select_related("member__shop", "tier")
            .order_by("pk")
        ):
            _deliver(gift)
    return granted
