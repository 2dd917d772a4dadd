"""seed-demo step: coupon templates, coupons, a rewards catalogue with
redemptions, and flash sales for the demo shop.

History is written in bulk and agrees with the demo orders: every order that
names the 每满300减30 or 满100减10 campaign (``Order.coupon_codes``) gets the
member's coupon, issued a few days before and marked used on that order with
the order's discount, as checkout capture marks it (status, ``used_at``,
``used_order_id``, ``discount_amount``, the template's ``used_count``); on a
cancelled or fully refunded order the coupon came back to the member, as the
order handlers give it back. Coupons that are still current are issued in bulk
too, then the template counters are set to the rows. What a member does today
goes through the services: the demo member claims coupons, members claim from
the live flash sale, and redemptions are placed with
``rewards.services.redemption_place``, so their points leave through the
ledger and ``patron check-ledger`` still passes.

Which members, templates, dates and amounts are chosen is deterministic (the
seed and the step's name); coupon codes stay random (``codes.generate``), as
codes must never be guessable.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from patron.core import clock
from patron.core.demo import DEMO_MEMBER_EXTERNAL_ID
from patron.demo.rewards import REWARDS, rewards_seed
from patron.members.models import Member
from patron.orders.models import Order, OrderStatus
from patron.promotions import services, tiering
from patron.promotions.models import (
    Coupon,
    CouponSource,
    CouponStatus,
    CouponTemplate,
    CouponType,
    FlashSale,
)

BATCH = 2000
T = CouponType


@dataclass(frozen=True)
class DemoTemplate:
    code: str
    name: str
    description: str
    type: str
    amount: int = 0
    percent: int = 0
    max_discount: int = 0
    threshold: int = 0
    repeating: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


# The two campaigns the demo orders name in ``coupon_codes`` keep their codes.
TEMPLATES: list[DemoTemplate] = [
    DemoTemplate(
        "MJ300-30",
        "每满300减30",
        "全场通用，每满¥300减¥30，最高减¥150",
        T.THRESHOLD,
        amount=3000,
        threshold=30000,
        repeating=True,
        max_discount=15000,
        extra={"per_member_limit": 0},
    ),
    DemoTemplate(
        "MJ100-10",
        "满100减10",
        "全场通用，满¥100减¥10",
        T.THRESHOLD,
        amount=1000,
        threshold=10000,
        extra={"per_member_limit": 0},
    ),
    DemoTemplate(
        "FULL300-50",
        "满300减50",
        "全场通用，满¥300减¥50",
        T.THRESHOLD,
        amount=5000,
        threshold=30000,
        extra={"claimable": True},
    ),
    DemoTemplate(
        "EVERY200-20",
        "每满200减20",
        "全场通用，每满¥200减¥20，上不封顶",
        T.THRESHOLD,
        amount=2000,
        threshold=20000,
        repeating=True,
        extra={"claimable": True},
    ),
    DemoTemplate(
        "PCT90",
        "全场9折券",
        "全场9折，最高减¥50",
        T.PERCENT,
        percent=10,
        max_discount=5000,
        extra={"claimable": True, "total_limit": 2000, "valid_days": 14},
    ),
    DemoTemplate(
        "FREESHIP",
        "免运费券",
        "任意订单免运费，可与满减券同时使用",
        T.FREE_SHIPPING,
        extra={"claimable": True, "stacking_group": "shipping", "per_member_limit": 2},
    ),
    DemoTemplate(
        "BEAUTY199-40",
        "美妆满199减40",
        "美妆个护类商品满¥199减¥40",
        T.THRESHOLD,
        amount=4000,
        threshold=19900,
        extra={"claimable": True, "categories": ["beauty"]},
    ),
    DemoTemplate(
        "NEW10",
        "新人专享¥10券",
        "注册30天内的新会员专享，满¥50可用",
        T.FIXED,
        amount=1000,
        threshold=5000,
        extra={"new_members_only": True},
    ),
    DemoTemplate(
        "GOLD-MONTHLY",
        "金卡月度券包 满200减30",
        "金牌会员每月专享，满¥200减¥30",
        T.THRESHOLD,
        amount=3000,
        threshold=20000,
        extra={"tier_codes": ["gold"], "per_member_limit": 0},
    ),
    DemoTemplate(
        "DIAMOND-MONTHLY",
        "钻石月度券包 满200减50",
        "钻石会员每月专享两张，满¥200减¥50",
        T.THRESHOLD,
        amount=5000,
        threshold=20000,
        extra={"tier_codes": ["diamond"], "per_member_limit": 0},
    ),
    DemoTemplate(
        "DIAMOND-BIRTHDAY",
        "钻石生日礼券 ¥100",
        "钻石会员生日月专享，满¥300减¥100",
        T.THRESHOLD,
        amount=10000,
        threshold=30000,
        extra={"tier_codes": ["diamond"], "per_member_limit": 0},
    ),
    DemoTemplate(
        "POINTS20",
        "积分兑换 ¥20无门槛券",
        "积分商城兑换，无门槛减¥20",
        T.FIXED,
        amount=2000,
        extra={"per_member_limit": 0},
    ),
    DemoTemplate(
        "POINTS-FREESHIP",
        "积分兑换 免运费券",
        "积分商城兑换，任意订单免运费",
        T.FREE_SHIPPING,
        extra={"stacking_group": "shipping", "per_member_limit": 0},
    ),
    DemoTemplate(
        "FLASH199-100",
        "限时抢购 满199减100",
        "限时限量，抢到后7天内有效",
        T.THRESHOLD,
        amount=10000,
        threshold=19900,
        extra={"per_member_limit": 0, "valid_days": 7},
    ),
    DemoTemplate(
        "FLASH-HALF",
        "限时抢购 5折券",
        "全场5折，最高减¥100，抢到后3天内有效",
        T.PERCENT,
        percent=50,
        max_discount=10000,
        extra={"per_member_limit": 0, "valid_days": 3},
    ),
]

# Member-claimed templates and how many members hold one now.
CLAIMED = [("FULL300-50", 0.30), ("EVERY200-20", 0.25), ("PCT90", 0.20), ("FREESHIP", 0.35)]
CLAIMED += [("BEAUTY199-40", 0.12)]


def step_promotions(ctx: Any) -> None:
    shop = ctx.shop
    assert shop is not None
    rng: random.Random = ctx.rng("promotions")
    base: dt.datetime = ctx.base
    now = clock.now()
    templates = _templates(ctx)
    members: list[Member] = ctx.members
    demo = next((m for m in members if m.external_id == DEMO_MEMBER_EXTERNAL_ID), None)
    tier_of = _tiers(shop)

    coupons: list[Coupon] = []
    coupons += _campaign_history(rng, ctx, templates)
    # Campaign coupons some members were sent and never used: now expired.
    mj = templates["MJ100-10"]
    for m in members:
        if rng.random() < 0.15:
            issued = _after(rng, base - dt.timedelta(days=rng.uniform(45, 400)), m, base, mj)
            if issued + dt.timedelta(days=mj.valid_days) < base:
                coupons.append(_coupon(mj, m, CouponSource.CAMPAIGN, issued, "campaign:2"))
    # Coupons claimed in the last weeks and still valid (the demo member claims hers below).
    for code, share in CLAIMED:
        t = templates[code]
        for m in members:
            if m is not demo and rng.random() < share:
                ago = dt.timedelta(days=rng.uniform(0.2, t.valid_days - 1))
                issued = _after(rng, base - ago, m, base)
                coupons.append(_coupon(t, m, CouponSource.CLAIM, issued))
    new10 = templates["NEW10"]
    for m in members:
        if m.registered_at >= base - dt.timedelta(days=30):
            coupons.append(_coupon(new10, m, CouponSource.CAMPAIGN, m.registered_at, "signup"))
    month_start = base.replace(day=1)
    birthday = templates["DIAMOND-BIRTHDAY"]
    for m in members:
        tier = tier_of.get(m.pk, "")
        if tier in ("gold", "diamond"):
            t = templates[f"{tier.upper()}-MONTHLY"]
            for _ in range(2 if tier == "diamond" else 1):
                monthly = _after(rng, month_start + dt.timedelta(hours=9), m, base)
                coupons.append(_coupon(t, m, CouponSource.CAMPAIGN, monthly, "monthly"))
        if tier == "diamond" and m.birthday is not None:
            day = _birthday_in(m.birthday, base)
            if day is not None:
                coupons.append(_coupon(birthday, m, CouponSource.BIRTHDAY, day, "tier-gift"))
    Coupon.objects.bulk_create(coupons, batch_size=BATCH)
    _sync_counters(shop)

    claimed = 0
    if demo is not None:
        for code in ("FULL300-50", "PCT90", "FREESHIP"):
            services.coupon_claim(shop=shop, member=demo, template_code=code)
            claimed += 1

    live, _upcoming = _flash_sales(shop, templates, now)
    flash_claims = 0
    crowd = [m for m in rng.sample(members, min(len(members), 40)) if m is not demo]
    for m in ([demo] if demo is not None else []) + crowd:
        if not tiering.member_tier(m).flash_sale_access:
            continue  # a benefit of higher tiers: the claim would be refused
        services.flash_sale_claim(sale=live, member=m)
        flash_claims += 1

    redemptions = rewards_seed(rng, ctx, templates, tier_of, demo)

    ctx.summary["coupon_templates"] = len(templates)
    ctx.summary["coupons"] = len(coupons) + claimed + flash_claims + redemptions[1]
    ctx.summary["coupons_used"] = sum(1 for c in coupons if c.status == CouponStatus.USED)
    ctx.summary["flash_sales"] = 2
    ctx.summary["flash_sale_claims"] = flash_claims
    ctx.summary["rewards"] = len(REWARDS)
    ctx.summary["redemptions"] = redemptions[0]


def _templates(ctx: Any) -> dict[str, CouponTemplate]:
    created = ctx.ago(760)
    rows = []
    for d in TEMPLATES:
        fields: dict[str, Any] = {"valid_days": 30, **d.extra}
        rows.append(
            CouponTemplate(
                shop=ctx.shop,
                code=d.code,
                name=d.name,
                description=d.description,
                type=d.type,
                amount=d.amount,
                percent=d.percent,
                max_discount=d.max_discount,
                threshold=d.threshold,
                repeating=d.repeating,
                created_at=created if d.code.startswith("MJ") else ctx.ago(40),
                **fields,
            )
        )
    CouponTemplate.objects.bulk_create(rows)
    return {t.code: t for t in CouponTemplate.objects.filter(shop=ctx.shop)}


def _tiers(shop: Any) -> dict[int, str]:
    from patron.tiers.models import MemberTier

    return dict(
        MemberTier.objects.filter(shop=shop).values_list("member_id", "tier__code").order_by()
    )


def _after(
    rng: random.Random,
    at: dt.datetime,
    m: Member,
    base: dt.datetime,
    t: CouponTemplate | None = None,
) -> dt.datetime:
    """``at``, but after the member registered (and the template existed), before the base."""
    floor = m.registered_at + dt.timedelta(minutes=rng.randrange(1, 4))
    if t is not None:
        floor = max(floor, t.created_at)
    return min(max(at, floor), base - dt.timedelta(seconds=30))


def _coupon(
    t: CouponTemplate, m: Member, source: str, issued: dt.datetime, ref: str = ""
) -> Coupon:
    valid_until = issued + dt.timedelta(days=t.valid_days)
    return services.coupon_build(
        template=t,
        member=m,
        source=source,
        source_ref=ref,
        issued_at=issued,
        valid_from=issued,
        valid_until=valid_until,
    )


def _birthday_in(birthday: dt.date, base: dt.datetime) -> dt.datetime | None:
    """The member's birthday in the last 30 days, as local 09:00, if there was one."""
    for year in (base.year, base.year - 1):
        try:
            day = birthday.replace(year=year)
        except ValueError:  # 29 February
            day = dt.date(year, 3, 1)
        at = dt.datetime.combine(day, dt.time(9), tzinfo=base.tzinfo)
        if base - dt.timedelta(days=30) <= at < base:
            return at
    return None


def _campaign_history(
    rng: random.Random, ctx: Any, templates: dict[str, CouponTemplate]
) -> list[Coupon]:
    """One coupon per demo order that used a campaign: used on it, or given back."""
    members = {m.pk: m for m in ctx.members}
    out: list[Coupon] = []
    rows = (
        Order.objects.filter(shop=ctx.shop)
        .exclude(coupon_codes=[])
        .order_by("pk")
        .values_list(
            "member_id",
            "external_id",
            "status",
            "coupon_codes",
            "discount_amount",
            "placed_at",
            "paid_at",
        )
    )
    for member_id, external_id, status, coupon_codes, discount, placed, paid in rows:
        t = templates.get(coupon_codes[0])
        m = members.get(member_id)
        if t is None or m is None:
            continue
        issued = max(placed - dt.timedelta(days=rng.uniform(0.5, 20)), m.registered_at)
        coupon = _coupon(t, m, CouponSource.CAMPAIGN, issued, "campaign:1")
        coupon.valid_until = max(coupon.valid_until, placed + dt.timedelta(days=1))
        if status not in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
            coupon.status = CouponStatus.USED
            coupon.used_at = paid or placed
            coupon.used_order_id = external_id
            coupon.discount_amount = discount
        out.append(coupon)
    return out


def _sync_counters(shop: Any) -> None:
    """Each template's issued and used counters equal its coupons."""
    counts = CouponTemplate.objects.filter(shop=shop).annotate(
        i=Count("coupons"), u=Count("coupons", filter=Q(coupons__status=CouponStatus.USED))
    )
    rows = list(counts)
    for t in rows:
        t.issued_count, t.used_count = t.i, t.u  # type: ignore[attr-defined]
    CouponTemplate.objects.bulk_update(rows, ["issued_count", "used_count"])


def _flash_sales(
    shop: Any, templates: dict[str, CouponTemplate], now: dt.datetime
) -> tuple[FlashSale, FlashSale]:
    live = FlashSale.objects.create(
        shop=shop,
        name="周末限时抢 满199减100",
        template=templates["FLASH199-100"],
        quantity=300,
        starts_at=now - dt.timedelta(hours=2),
        ends_at=now + dt.timedelta(days=3),
        per_member_limit=1,
    )
    start = (now + dt.timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    upcoming = FlashSale.objects.create(
        shop=shop,
        name="会员日 5折券限量抢",
        template=templates["FLASH-HALF"],
        quantity=100,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=12),
        tier_codes=[],
        per_member_limit=1,
    )
    return live, upcoming
