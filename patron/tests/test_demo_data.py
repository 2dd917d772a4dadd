from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, F, Sum

from patron.core import clock
from patron.core.demo import DEMO_MEMBER_EXTERNAL_ID, DEMO_OPERATORS, DEMO_PASSWORD, DEMO_SHOP
from patron.core.pii import normalize_phone
from patron.demo.data import demo_seed
from patron.members.models import Member
from patron.orders.models import Order, OrderLine, OrderStatus, Refund, RefundLine

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def fingerprint() -> list[tuple[object, ...]]:
    return list(
        Order.objects.order_by("external_id").values_list(
            "external_id", "member__external_id", "status", "paid_amount", "placed_at"
        )
    )


def test_seed_creates_consistent_members_orders_and_refunds() -> None:
    # given a frozen clock
    clock.freeze(NOW)
    # when
    ctx = demo_seed(members=60, orders=400, seed=7)
    # then the counts are exact
    assert ctx.summary["members"] == 60 and ctx.summary["orders"] == 400
    assert Member.objects.count() == 60 and Order.objects.count() == 400
    assert OrderLine.objects.count() == ctx.summary["order_lines"]
    # the demo member and operators exist
    demo = Member.objects.get(external_id=DEMO_MEMBER_EXTERNAL_ID)
    assert demo.phone == "+8613800000001" and demo.orders.count() > 0
    for username, role, superuser in DEMO_OPERATORS:
        user = User.objects.get(username=username)
        assert user.is_staff and user.is_superuser == superuser
        assert user.check_password(DEMO_PASSWORD)
        # each demo operator holds their role in the demo shop
        assert list(user.shop_memberships.values_list("shop__name", "role")) == [(DEMO_SHOP, role)]
    # every phone is a valid mainland mobile in E.164, and unique
    phones = list(Member.objects.values_list("phone", flat=True))
    assert all(normalize_phone(p) == p for p in phones) and len(set(phones)) == 60
    # every date lies before the base (local midnight of today)
    base = NOW.replace(hour=0, minute=30) - dt.timedelta(minutes=30)
    assert not Order.objects.filter(updated_at__gte=base).exists()
    assert not Order.objects.filter(placed_at__lt=base - dt.timedelta(days=731)).exists()
    assert not Order.objects.filter(placed_at__lt=F("member__registered_at")).exists()
    # lines' paid shares add up to the paid amount less shipping, exactly
    mismatched = (
        Order.objects.annotate(goods=Sum("lines__paid_amount"))
        .exclude(goods=F("paid_amount") - F("shipping_fee"))
        .count()
    )
    assert mismatched == 0
    # refunds agree with the lines' refunded quantities and the order totals
    for order in Order.objects.filter(
        status__in=[OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED]
    ):
        refund = Refund.objects.get(order=order)
        assert refund.amount == order.refunded_amount > 0
        by_line = dict(RefundLine.objects.filter(refund=refund).values_list("line_id", "quantity"))
        assert by_line == {
            ln.pk: ln.refunded_quantity for ln in order.lines.all() if ln.refunded_quantity
        }
        full = all(ln.refunded_quantity == ln.quantity for ln in order.lines.all())
        assert full == (order.status == OrderStatus.REFUNDED)
    assert (
        not OrderLine.objects.exclude(
            order__status__in=[OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED]
        )
        .filter(refunded_quantity__gt=0)
        .exists()
    )
    # each order's history ends in its status
    for order in Order.objects.annotate(n=Count("history")):
        assert order.history.last().to_status == order.status  # type: ignore[union-attr]


def seeded(seed: int) -> list[tuple[object, ...]]:
    """Seed, read the orders, and roll the seed back."""
    with transaction.atomic():
        demo_seed(members=30, orders=100, seed=seed)
        orders = fingerprint()
        transaction.set_rollback(True)
    return orders


def test_same_seed_same_data_other_seed_other_data() -> None:
    clock.freeze(NOW)
    first = seeded(1)
    assert len(first) == 100 and Order.objects.count() == 0
    assert seeded(1) == first
    assert seeded(2) != first


def test_command_if_empty_does_nothing_the_second_time() -> None:
    clock.freeze(NOW)
    out = io.StringIO()
    call_command("seed_demo", "--members", "20", "--orders", "50", stdout=out)
    assert out.getvalue().startswith(f"Seeded {DEMO_SHOP!r} in ")
    assert "20 members, 50 orders" in out.getvalue()
    again = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=again)
    assert again.getvalue() == "" and Order.objects.count() == 50


def test_seed_creates_coupons_rewards_and_flash_sales_and_the_ledger_still_balances() -> None:
    from patron.points.models import EntryKind, LedgerEntry
    from patron.promotions.models import Coupon, CouponStatus, CouponTemplate, FlashSale
    from patron.rewards.models import Redemption, Reward, RewardKind

    # given a frozen clock
    clock.freeze(NOW)
    # when
    ctx = demo_seed(members=60, orders=400, seed=7)
    # then the templates the tiers' benefits name exist, with the demo campaigns
    codes = set(CouponTemplate.objects.values_list("code", flat=True))
    assert {"GOLD-MONTHLY", "DIAMOND-MONTHLY", "DIAMOND-BIRTHDAY", "MJ300-30", "NEW10"} <= codes
    assert ctx.summary["coupon_templates"] == len(codes) == 15
    assert CouponTemplate.objects.filter(claimable=True).count() == 5
    # every template's counters equal its coupons
    for t in CouponTemplate.objects.all():
        assert t.issued_count == t.coupons.count()
        assert t.used_count == t.coupons.filter(status=CouponStatus.USED).count()
    assert Coupon.objects.count() == ctx.summary["coupons"]
    # used coupons sit on the member's own order, with that order's discount
    used = Coupon.objects.filter(status=CouponStatus.USED)
    assert used.count() == ctx.summary["coupons_used"] > 0
    for c in used:
        order = Order.objects.get(external_id=c.used_order_id)
        assert order.member_id == c.member_id
        assert order.coupon_codes == [c.template.code]
        assert c.discount_amount == order.discount_amount
        assert c.used_at is not None and c.used_at == order.paid_at
        assert c.issued_at <= order.placed_at and c.used_at < c.valid_until
    # some coupons are usable now, some expired unused
    assert Coupon.objects.filter(status=CouponStatus.AVAILABLE, valid_until__gt=NOW).exists()
    assert Coupon.objects.filter(status=CouponStatus.AVAILABLE, valid_until__lte=NOW).exists()
    # the demo member holds usable coupons, a redemption and a flash-sale coupon
    demo = Member.objects.get(external_id=DEMO_MEMBER_EXTERNAL_ID)
    mine = Coupon.objects.filter(member=demo, status=CouponStatus.AVAILABLE, valid_until__gt=NOW)
    assert {"FULL300-50", "PCT90", "FREESHIP", "FLASH199-100"} <= set(
        mine.values_list("template__code", flat=True)
    )
    assert Redemption.objects.filter(member=demo).count() == 2
    # the catalogue: gifts with stock, coupon rewards, one for gold and diamond only
    assert Reward.objects.filter(kind=RewardKind.PHYSICAL, stock__gt=0).count() == 4
    assert Reward.objects.filter(kind=RewardKind.COUPON).count() == 2
    assert list(Reward.objects.exclude(tier_codes=[]).values_list("tier_codes", flat=True)) == [
        ["gold", "diamond"]
    ]
    # every redemption debited its points through the ledger
    redemptions = Redemption.objects.all()
    assert redemptions.count() == ctx.summary["redemptions"] >= 2
    for r in redemptions:
        assert r.points_entry_id is not None
        entry = LedgerEntry.objects.get(pk=r.points_entry_id)
        assert entry.kind == EntryKind.REDEEM and entry.points == -r.points
    for reward in Reward.objects.all():
        assert reward.redeemed_count == reward.redemptions.count()
    # one live flash sale with units left, one upcoming
    live = FlashSale.objects.get(starts_at__lte=NOW, ends_at__gt=NOW)
    assert 0 < live.claimed_count == live.claims.count() < live.quantity
    upcoming = FlashSale.objects.get(starts_at__gt=NOW)
    assert upcoming.claimed_count == 0 and upcoming.ends_at > upcoming.starts_at
    # and the points ledger still balances
    out = io.StringIO()
    call_command("check_ledger", stdout=out)
    assert out.getvalue().startswith("ledger OK: 60 accounts checked")
