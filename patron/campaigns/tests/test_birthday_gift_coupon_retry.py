"""Birthday coupons that could not be issued are retried by the daily job
while the birthday is in the catch-up window, recorded, and never issued twice."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.campaigns.tests.test_birthday_gifts import grant_on, make_member
from patron.core import clock
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.points.models import PointsAccount
from patron.promotions.models import Coupon, CouponTemplate
from patron.tiers.models import TierBenefits, TierGift, TierProgram
from patron.tiers.tests.conftest import set_program

pytestmark = pytest.mark.django_db


def gift_of(member: Member) -> tuple[str, str]:
    gift = TierGift.objects.get(member=member)
    return gift.state, gift.reference


def test_failed_birthday_coupon_is_retried_in_the_window_and_issued_once(
    shop: Shop, program: TierProgram
) -> None:
    set_program(program, birthday_days_before=0, birthday_days_after=7)
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(
        birthday_gift_points=50, birthday_coupon_template="BDAY"
    )
    early = make_member(shop, "B0", dt.date(1991, 5, 10))
    late = make_member(shop, "B1", dt.date(1990, 5, 20))

    # given both gifts failed to issue (no template yet), points credited once
    assert grant_on(shop, dt.date(2026, 5, 10)) == 1
    assert grant_on(shop, dt.date(2026, 5, 20)) == 1
    assert grant_on(shop, dt.date(2026, 5, 21)) == 0
    ledger_ref = gift_of(late)[1]
    assert gift_of(late) == ("coupon_pending", ledger_ref)
    assert ledger_ref.startswith("ledger:")
    failures = AuditLog.objects.filter(action="tier_gift.coupon_failed")
    assert list(failures.order_by("id").values_list("object_id", "actor_label", "reason")) == [
        (str(TierGift.objects.get(member=early).pk), "system", "no coupon template 'BDAY'"),
        (str(TierGift.objects.get(member=late).pk), "system", "no coupon template 'BDAY'"),
        (str(TierGift.objects.get(member=late).pk), "system", "no coupon template 'BDAY'"),
    ]

    # when the operator creates the template and the job runs again
    CouponTemplate.objects.create(
        shop=shop,
        code="BDAY",
        name="Birthday",
        type="fixed",
        amount=1000,
        per_member_limit=0,
        created_at=clock.now(),
    )
    assert grant_on(shop, dt.date(2026, 5, 22)) == 0
    assert grant_on(shop, dt.date(2026, 5, 23)) == 0

    # then the gift in the window gets exactly one coupon, the older one waits
    late_gift = TierGift.objects.get(member=late)
    coupon = Coupon.objects.get(member=late)
    assert (coupon.source, coupon.source_ref, coupon.template.code) == (
        "birthday",
        f"tier-gift:{late_gift.pk}",
        "BDAY",
    )
    assert gift_of(late) == ("coupon_issued", f"{ledger_ref};coupon:{coupon.pk}")
    assert PointsAccount.objects.get(member=late).lifetime_earned == 50
    assert gift_of(early)[0] == "coupon_pending"  # 10 May is outside 15-22 May
    assert not Coupon.objects.filter(member=early).exists()
    assert failures.count() == 3


def test_coupon_already_issued_for_a_pending_gift_is_not_issued_again(
    shop: Shop, program: TierProgram
) -> None:
    set_program(program, birthday_days_before=0, birthday_days_after=7)
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(
        birthday_coupon_template="BDAY"
    )
    m = make_member(shop, "B1", dt.date(1990, 5, 20))
    assert grant_on(shop, dt.date(2026, 5, 20)) == 1
    template = CouponTemplate.objects.create(
        shop=shop,
        code="BDAY",
        name="Birthday",
        type="fixed",
        amount=1000,
        per_member_limit=0,
        created_at=clock.now(),
    )
    gift = TierGift.objects.get(member=m)
    # a coupon for the gift exists, but the gift's state was not updated
    from patron.promotions import services as promotions

    issued = promotions.coupon_issue(
        template=template, member=m, source="birthday", source_ref=f"tier-gift:{gift.pk}"
    )

    grant_on(shop, dt.date(2026, 5, 21))

    assert Coupon.objects.filter(member=m).count() == 1
    assert gift_of(m) == ("coupon_issued", f"coupon:{issued.pk}")
