"""seed-demo, within the promotions step: the rewards catalogue, and
redemptions placed through ``rewards.services.redemption_place`` (so their
points leave through the ledger), some of them fulfilled.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from patron.members.models import Member
from patron.points.models import PointsAccount
from patron.promotions.models import (
    CouponTemplate,
    CouponType,
)
from patron.rewards import services as reward_services
from patron.rewards.models import Reward, RewardKind

BATCH = 2000
T = CouponType

# (name, description, kind, points, stock, template code, tier codes, per member)
REWARDS: list[tuple[str, str, str, int, int | None, str, list[str], int]] = [
    ("不锈钢保温杯 500ml", "316不锈钢内胆，12小时保温", "physical", 2800, 200, "", [], 2),
    ("帆布购物袋", "加厚帆布，可折叠收纳", "physical", 900, 500, "", [], 3),
    ("功夫茶具套装", "白瓷盖碗一只、公道杯一只、品茗杯四只", "physical", 8800, 30, "", [], 1),
    ("¥20无门槛券", "兑换后30天内有效", "coupon", 1500, None, "POINTS20", [], 0),
    ("免运费券", "兑换后30天内有效", "coupon", 400, None, "POINTS-FREESHIP", [], 0),
    (
        "金钻专享 香薰礼盒",
        "金牌及钻石会员专享，限量兑换",
        "physical",
        5000,
        50,
        "",
        ["gold", "diamond"],
        1,
    ),
]

ADDRESSES = [
    "上海市浦东新区张杨路500号",
    "北京市朝阳区建国路88号",
    "广州市天河区天河路385号",
    "深圳市南山区科技园南区8栋",
    "杭州市西湖区文三路90号",
    "成都市锦江区春熙路66号",
    "南京市鼓楼区中山路321号",
    "武汉市江汉区解放大道690号",
]


def rewards_seed(
    rng: random.Random,
    ctx: Any,
    templates: dict[str, CouponTemplate],
    tier_of: dict[int, str],
    demo: Member | None,
) -> tuple[int, int]:
    """The catalogue, and redemptions placed through the service: (redemptions, coupons)."""
    shop = ctx.shop
    rewards = [
        Reward.objects.create(
            shop=shop,
            name=name,
            description=description,
            kind=kind,
            points_price=points,
            stock=stock,
            coupon_template=templates[code] if code else None,
            tier_codes=tiers,
            per_member_limit=limit,
            created_at=ctx.ago(60),
        )
        for name, description, kind, points, stock, code, tiers, limit in REWARDS
    ]
    balance = dict(PointsAccount.objects.filter(shop=shop).values_list("member_id", "available"))
    plan: list[tuple[Member, Reward]] = []
    if demo is not None:
        plan += [(demo, rewards[3]), (demo, rewards[1])]
    wealthy = [m for m in ctx.members if m is not demo and balance.get(m.pk, 0) >= 3000]
    for m in rng.sample(wealthy, min(len(wealthy), 60)):
        choices = [r for r in rewards if not r.tier_codes or tier_of.get(m.pk) in r.tier_codes]
        plan.append((m, rng.choice(choices)))
    placed = coupons = 0
    taken: Counter[tuple[int, int]] = Counter()
    for i, (m, reward) in enumerate(plan, start=1):
        if balance.get(m.pk, 0) < reward.points_price:
            continue
        if reward.per_member_limit and taken[(m.pk, reward.pk)] >= reward.per_member_limit:
            continue
        redemption, _ = reward_services.redemption_place(
            shop=shop,
            member=m,
            reward=reward,
            request_id=f"demo-redemption-{i}",
            shipping_address=rng.choice(ADDRESSES) if reward.kind == RewardKind.PHYSICAL else "",
        )
        balance[m.pk] -= reward.points_price
        taken[(m.pk, reward.pk)] += 1
        placed += 1
        coupons += redemption.coupon_id is not None
        if reward.kind == RewardKind.PHYSICAL and m is not demo and rng.random() < 0.6:
            reward_services.redemption_fulfil(redemption=redemption, actor=None)
    return placed, coupons
