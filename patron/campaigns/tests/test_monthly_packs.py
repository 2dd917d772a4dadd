"""The monthly coupon pack a tier promises is handed out: once a month per
member of a tier with a pack, whatever the number of runs, caught up when the
job missed days, retried when the template was missing, and recorded."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.campaigns.models import MonthlyCouponPack
from patron.campaigns.services.monthly_packs import monthly_coupon_packs_deliver
from patron.campaigns.tests.conftest import make_member, make_template, move_to
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.promotions.models import Coupon
from patron.tiers.models import TierProgram

pytestmark = pytest.mark.django_db


def run_on(shop: Shop, day: dt.date) -> dict[str, int]:
    move_to(day)
    return monthly_coupon_packs_deliver(shop=shop)


def coupons_of(member: Member) -> list[tuple[str, str]]:
    return list(
        Coupon.objects.filter(member=member)
        .order_by("source_ref")
        .values_list("template__code", "source_ref")
    )


def test_gold_and_diamond_get_their_pack_once_a_month_and_normal_none(
    shop: Shop, program: TierProgram
) -> None:
    # given the default tiers (Gold: 1 × GOLD-MONTHLY, Diamond: 2 × DIAMOND-MONTHLY)
    make_template(shop, "GOLD-MONTHLY")
    make_template(shop, "DIAMOND-MONTHLY")  # per-member limit 1: the pack ignores it
    normal, silver = make_member(shop), make_member(shop, "silver")
    gold, diamond = make_member(shop, "gold"), make_member(shop, "diamond")

    # when the job runs on the 1st, again the same day and later in the month
    assert run_on(shop, dt.date(2026, 3, 1)) == {"recorded": 2, "delivered": 2, "pending": 0}
    assert run_on(shop, dt.date(2026, 3, 1)) == {"recorded": 0, "delivered": 0, "pending": 0}
    assert run_on(shop, dt.date(2026, 3, 20)) == {"recorded": 0, "delivered": 0, "pending": 0}

    # then each got the tier's pack once
    gold_pack = MonthlyCouponPack.objects.get(member=gold)
    diamond_pack = MonthlyCouponPack.objects.get(member=diamond)
    assert coupons_of(gold) == [("GOLD-MONTHLY", f"monthly-pack:{gold_pack.pk}:0")]
    assert coupons_of(diamond) == [
        ("DIAMOND-MONTHLY", f"monthly-pack:{diamond_pack.pk}:0"),
        ("DIAMOND-MONTHLY", f"monthly-pack:{diamond_pack.pk}:1"),
    ]
    assert coupons_of(normal) == coupons_of(silver) == []
    assert (diamond_pack.month, diamond_pack.count, diamond_pack.issued, diamond_pack.state) == (
        dt.date(2026, 3, 1),
        2,
        2,
        "delivered",
    )

    # and next month brings the next pack
    assert run_on(shop, dt.date(2026, 4, 1))["delivered"] == 2
    assert Coupon.objects.filter(member=diamond).count() == 4
    assert Coupon.objects.filter(member=gold).count() == 2


def test_a_missed_day_is_caught_up_by_the_next_run(shop: Shop, program: TierProgram) -> None:
    make_template(shop, "GOLD-MONTHLY")
    gold = make_member(shop, "gold")

    # the job did not run from 1 to 4 May
    assert run_on(shop, dt.date(2026, 5, 5))["delivered"] == 1

    assert MonthlyCouponPack.objects.get(member=gold).month == dt.date(2026, 5, 1)
    assert Coupon.objects.filter(member=gold).count() == 1


def test_a_missing_template_leaves_the_pack_pending_audited_and_retried_once_made(
    shop: Shop, program: TierProgram
) -> None:
    diamond = make_member(shop, "diamond")

    assert run_on(shop, dt.date(2026, 3, 1)) == {"recorded": 1, "delivered": 0, "pending": 1}
    pack = MonthlyCouponPack.objects.get(member=diamond)
    assert (pack.state, pack.issued) == ("pending", 0)
    failure = AuditLog.objects.get(action="campaigns.monthly_pack_failed")
    assert (failure.object_id, failure.actor_label, failure.reason) == (
        str(pack.pk),
        "system",
        "no coupon template 'DIAMOND-MONTHLY'",
    )

    # the operator creates the template; only one more coupon is left to issue
    make_template(shop, "DIAMOND-MONTHLY", total_limit=1)
    assert run_on(shop, dt.date(2026, 3, 2)) == {"recorded": 0, "delivered": 0, "pending": 1}
    pack.refresh_from_db()
    assert (pack.state, pack.issued) == ("pending", 1)

    # refilled: the rest is issued, never the first one again
    from patron.promotions.models import CouponTemplate

    CouponTemplate.objects.filter(code="DIAMOND-MONTHLY").update(total_limit=0)
    assert run_on(shop, dt.date(2026, 3, 3)) == {"recorded": 0, "delivered": 1, "pending": 0}
    pack.refresh_from_db()
    assert (pack.state, pack.issued) == ("delivered", 2)
    assert [ref for _code, ref in coupons_of(diamond)] == [
        f"monthly-pack:{pack.pk}:0",
        f"monthly-pack:{pack.pk}:1",
    ]
    runs = AuditLog.objects.filter(action="campaigns.monthly_packs_run").order_by("id")
    assert [(r.after or {})["delivered"] for r in runs] == [0, 0, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_deliver_each_pack_once() -> None:
    import threading
    from typing import Any

    from django.db import connection

    from patron.tiers.services.definitions import tiers_seed_defaults

    shop = Shop.objects.create(name="race")
    move_to(dt.date(2026, 6, 1))
    tiers_seed_defaults(shop=shop)
    make_template(shop, "GOLD-MONTHLY")
    make_template(shop, "DIAMOND-MONTHLY")
    members = [make_member(shop, "gold") for _ in range(5)] + [make_member(shop, "diamond")]
    barrier = threading.Barrier(3)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(monthly_coupon_packs_deliver(shop=shop))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["recorded"] for r in results) == 6
    assert sum(r["delivered"] for r in results) == 6
    assert MonthlyCouponPack.objects.filter(state="delivered").count() == 6
    assert Coupon.objects.filter(member__in=members).count() == 5 + 2
