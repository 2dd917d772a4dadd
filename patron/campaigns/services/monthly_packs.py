"""The monthly coupon pack a tier promises: each member of a tier whose
benefits name a template and a count gets that many coupons once a month.

The job may run as often as the schedule likes and catches up by itself: a
pack is keyed by (member, month), so whichever run comes first in a month
records it (a missed day just moves delivery to the next run), and no later
run, retry or concurrent run records it again. Recording is set-based (one
``INSERT .. SELECT .. ON CONFLICT DO NOTHING``); delivery is per pack because
each coupon takes the template's counter lock. A pack whose coupons cannot be
issued (template missing, ended, sold out) stays ``pending`` with the failure
in the audit log and is tried again by every run of the same month.

A member's tier is read when the month's pack is recorded: a member who
moves up after that gets the new tier's pack from the next month. Months the
job never ran in are not handed out afterwards; the pack is this month's.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    DateField,
    DateTimeField,
    F,
    IntegerField,
    Value,
    When,
)

from patron.campaigns.models import MonthlyCouponPack, PackState
from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.promotions import selectors as promotion_selectors
from patron.promotions import services as promotions
from patron.promotions.models import CouponSource
from patron.tiers import selectors as tiers
from patron.tiers import sql

logger = logging.getLogger(__name__)

PACK_COLUMNS = [
    "shop",
    "member",
    "month",
    "tier",
    "coupon_template",
    "count",
    "issued",
    "state",
    "recorded_at",
]


def source_ref(pack: MonthlyCouponPack, index: int) -> str:
    """The coupon's source reference: the pack and the coupon's place in it."""
    return f"monthly-pack:{pack.pk}:{index}"


def _record(*, shop: Shop, month: dt.date) -> int:
    """Record this month's pack for every member of a tier with one. Returns packs recorded."""
    packs = {
        tier.pk: benefits
        for tier in tiers.active_tiers(shop)
        if (benefits := tiers.benefits_of(tier)).monthly_coupon_count > 0
        and benefits.monthly_coupon_template
    }
    if not packs:
        return 0
    now = clock.now()
    template = Case(
        *[
            When(current_tier_id=pk, then=Value(b.monthly_coupon_template))
            for pk, b in packs.items()
        ],
        output_field=CharField(),
    )
    count = Case(
        *[When(current_tier_id=pk, then=Value(b.monthly_coupon_count)) for pk, b in packs.items()],
        output_field=IntegerField(),
    )
    candidates = (
        tiers.members_in_tiers(shop, list(packs))
        .annotate(
            c_shop=F("shop_id"),
            c_member=F("pk"),
            c_month=Value(month, output_field=DateField()),
            c_tier=F("current_tier_id"),
            c_template=template,
            c_count=count,
            c_issued=Value(0, output_field=IntegerField()),
            c_state=Value(PackState.RECORDED.value, output_field=CharField()),
            c_at=Value(now, output_field=DateTimeField()),
        )
        .values(
            "c_shop",
            "c_member",
            "c_month",
            "c_tier",
            "c_template",
            "c_count",
            "c_issued",
            "c_state",
            "c_at",
        )
    )
    return sql.insert_select(
        MonthlyCouponPack,
        PACK_COLUMNS,
        candidates,
        on_conflict="ON CONFLICT (member_id, month) DO NOTHING",
    )


def _deliver(pack: MonthlyCouponPack) -> bool:
    """Issue the pack's coupons not yet issued. True when the pack is complete.

    The caller holds the pack's row lock; a coupon already issued for a place
    in the pack (found by its source reference) is counted, not issued again.
    """
    member = pack.member
    issued = pack.issued
    try:
        template = promotions.template_get(shop=member.shop, code=pack.coupon_template)
        for index in range(issued, pack.count):
            if (
                promotion_selectors.coupon_from_source(
                    member=member, source=CouponSource.CAMPAIGN, source_ref=source_ref(pack, index)
                )
                is None
            ):
                with transaction.atomic():
                    promotions.coupon_issue(
                        template=template,
                        member=member,
                        source=CouponSource.CAMPAIGN,
                        source_ref=source_ref(pack, index),
                        check_member_limit=False,
                    )
            issued = index + 1
    except PatronError as error:
        logger.warning("monthly coupon pack %s not delivered: %s", pack.pk, error.detail_en)
        audit_record(
            actor=None,
            action="campaigns.monthly_pack_failed",
            obj=pack,
            after={
                "coupon_template": pack.coupon_template,
                "issued": issued,
                "count": pack.count,
                "code": str(error.code),
            },
            reason=error.detail_en,
        )
        MonthlyCouponPack.objects.filter(pk=pack.pk).update(state=PackState.PENDING, issued=issued)
        return False
    MonthlyCouponPack.objects.filter(pk=pack.pk).update(
        state=PackState.DELIVERED, issued=issued, delivered_at=clock.now()
    )
    return True


def monthly_coupon_packs_deliver(*, shop: Shop, today: dt.date | None = None) -> dict[str, int]:
    """Record and deliver this month's coupon packs of the shop's members.

    Returns counts: packs ``recorded`` by this run, packs ``delivered`` and
    packs left ``pending``. A run that did anything is written to the audit log.
    """
    today = today or clock.today()
    month = today.replace(day=1)
    delivered = pending = 0
    with transaction.atomic():
        recorded = _record(shop=shop, month=month)
        # Concurrent runs queue on these row locks and then see the packs done.
        waiting = (
            MonthlyCouponPack.objects.select_for_update(of=("self",))
            .filter(shop=shop, month=month, state__in=[PackState.RECORDED, PackState.PENDING])
            .select_related("member__shop")
            .order_by("pk")
        )
        for pack in waiting:
            if _deliver(pack):
                delivered += 1
            else:
                pending += 1
        counts = {"recorded": recorded, "delivered": delivered, "pending": pending}
        if recorded or delivered or pending:
            audit_record(
                actor=None,
                action="campaigns.monthly_packs_run",
                obj=shop,
                after={"month": month.isoformat(), **counts},
            )
    return counts
