"""Birthday gifts: handing out what a tier promises once per member per year.

The tiers app records what each member is owed (``tiers.services.gifts``);
this delivers it: points through the points ledger, the coupon through the
promotions app. Delivery is per gift because each one is a ledger entry or a
coupon with its own locks; there are about members / 365 a day.

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

from django.db import transaction

from patron.campaigns import messages
from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.core.services import audit_record
from patron.points.models import EntryKind
from patron.points.services import ledger
from patron.promotions import selectors as promotion_selectors
from patron.promotions import services as promotions
from patron.promotions.models import CouponSource
from patron.tiers.models import GiftState, TierGift
from patron.tiers.services import gifts

logger = logging.getLogger(__name__)


def _deliver(gift: TierGift) -> None:
    """Credit the points and issue the coupon of one recorded gift."""
    member = gift.member
    state: str = GiftState.RECORDED
    reference = ""
    if gift.points > 0:
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
            expires_at=ledger.expiry_for(ledger.points_program_get(member.shop), clock.now()),
        )
        state = GiftState.CREDITED
        reference = f"ledger:{entry.pk}"
    if gift.coupon_template:
        state, reference = _issue_coupon(gift, reference)
    gifts.gift_mark(gift=gift, state=state, reference=reference)
    coupon = None
    if state == GiftState.COUPON_ISSUED:
        coupon = promotion_selectors.coupon_from_source(
            member=member, source=CouponSource.BIRTHDAY, source_ref=f"tier-gift:{gift.pk}"
        )
    messages.birthday_gift_notify(gift, coupon)


def _issue_coupon(gift: TierGift, reference: str) -> tuple[str, str]:
    """Issue the gift's coupon; the gift's new state and reference. A coupon
    already issued for the gift is found, not issued again."""
    member = gift.member
    source_ref = f"tier-gift:{gift.pk}"
    coupon = promotion_selectors.coupon_from_source(
        member=member, source=CouponSource.BIRTHDAY, source_ref=source_ref
    )
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
            logger.warning("birthday coupon for gift %s not issued: %s", gift.pk, error.detail_en)
            audit_record(
                actor=None,
                action="tier_gift.coupon_failed",
                obj=gift,
                after={"coupon_template": gift.coupon_template, "code": str(error.code)},
                reason=error.detail_en,
            )
            return GiftState.COUPON_PENDING, reference
    return GiftState.COUPON_ISSUED, ";".join(filter(None, [reference, f"coupon:{coupon.pk}"]))


def birthday_gifts_grant(*, shop: Shop, today: dt.date | None = None) -> int:
    """Grant this year's birthday gift to members whose birthday is in the
    window around ``today`` and who have not had it. Returns gifts granted."""
    today = today or clock.today()
    with transaction.atomic():
        granted, keys = gifts.birthday_gifts_record(shop=shop, today=today)
        # Earlier gifts' coupons first, so a gift that fails today is tried once.
        for gift in gifts.gifts_coupon_pending_locked(shop=shop, keys=keys):
            state, reference = _issue_coupon(gift, gift.reference)
            if state != gift.state:
                gifts.gift_mark(gift=gift, state=state, reference=reference)
        for gift in gifts.gifts_recorded_locked(shop=shop):
            _deliver(gift)
    return granted
