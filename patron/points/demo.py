"""seed-demo step: the demo shop's points programme, default earning rules and a
realistic points history, written in bulk (a few thousand rows a round trip).

History per member: a sign-up bonus, one lot per paid order (net of refunds,
with each line's share recorded as the live path does, so a later refund of a
seeded order reverses exactly its lines' points; available once the order
completed more than the return window ago, pending otherwise, cancelled orders
earn nothing), and expiry of lots earned before
last calendar year (end of the year after the year earned). Entries, lots and
the cached balances agree, so ``patron check-ledger`` passes after seeding.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q

from patron.core.money import Rounding, allocate, divide
from patron.orders.models import Order, OrderLine, OrderStatus
from patron.points.models import (
    EntryKind,
    LedgerEntry,
    LineEarning,
    LotState,
    PointsAccount,
    PointsLot,
    PointsProgram,
)
from patron.points.services.ledger import lot_expiry
from patron.rules import services as rule_services
from patron.rules.models import EarningRule, Trigger

BATCH = 2000
DEFAULT_RULES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "消费积分 Points on orders",
        Trigger.ORDER_PAID,
        {
            "points_per_yuan": 1,
            "category_multipliers": {"beauty": 150},
            "tier_multipliers": {"gold": 150, "diamond": 200},
            "member_day_of_month": 18,
            "member_day_multiplier": 200,
        },
    ),
    ("注册有礼 Sign-up bonus", Trigger.MEMBER_REGISTERED, {"points": 100}),
    ("完善资料 Profile completed", Trigger.PROFILE_COMPLETED, {"points": 50}),
    (
        "评价有礼 Reviews",
        Trigger.REVIEW_POSTED,
        {"points": 10, "photo_bonus_points": 20, "daily_cap": 60, "monthly_cap": 300},
    ),
    ("分享有礼 Shares", Trigger.LINK_SHARED, {"points": 5, "daily_cap": 15, "monthly_cap": 150}),
    ("生日积分 Birthday", Trigger.BIRTHDAY, {"points": 188}),
    ("每日签到 Daily check-in", Trigger.CHECKIN, {"points": 5, "streak_bonuses": {"7": 30}}),
]


def step_points(ctx: Any) -> None:
    shop = ctx.shop
    assert shop is not None
    program, _ = PointsProgram.objects.get_or_create(shop=shop)
    if not EarningRule.objects.filter(shop=shop).exists():
        for name, trigger, fields in DEFAULT_RULES:
            rule_services.rule_create(shop=shop, name=name, trigger=trigger, fields=fields)
    rules = {r.trigger: r for r in EarningRule.objects.filter(shop=shop)}
    order_rule, signup_rule = rules[Trigger.ORDER_PAID], rules[Trigger.MEMBER_REGISTERED]
    window = dt.timedelta(days=program.return_window_days)
    now = ctx.base
    members = {m.pk: m for m in ctx.members}
    PointsAccount.objects.bulk_create(
        [PointsAccount(shop=shop, member=m, updated_at=now) for m in ctx.members],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    accounts = dict(PointsAccount.objects.filter(shop=shop).values_list("member_id", "pk"))
    lots: list[PointsLot] = []
    meta: list[tuple[int, str, dict[str, Any], int | None, int | None, Any]] = []
    for m in ctx.members:
        lots.append(
            PointsLot(
                account_id=accounts[m.pk],
                points=100,
                remaining=100,
                state=LotState.AVAILABLE,
                earned_at=m.registered_at,
                available_at=m.registered_at,
                expires_at=lot_expiry(
                    program, earned_at=m.registered_at, available_at=m.registered_at
                ),
            )
        )
        meta.append(
            (
                accounts[m.pk],
                "signup",
                {"rule": signup_rule.name},
                signup_rule.pk,
                signup_rule.current_version_id,
                None,
            )
        )
    orders = (
        Order.objects.filter(shop=shop, member_id__in=members)
        .exclude(Q(status=OrderStatus.CANCELLED) | Q(status=OrderStatus.CREATED))
        .order_by("pk")
    )
    lines_of: dict[int, list[OrderLine]] = {}
    for ln in OrderLine.objects.filter(order__shop=shop, order__member_id__in=members).order_by(
        "order_id", "pk"
    ):
        lines_of.setdefault(ln.order_id, []).append(ln)
    attributions: list[tuple[int, list[LineEarning]]] = []  # (lot index, its lines' share)
    for o in orders.iterator(chunk_size=BATCH):
        paid_at = o.paid_at or o.placed_at
        version = order_rule.current_version
        goods = max(0, o.paid_amount - o.shipping_fee)
        full = (
            divide(goods * version.points_per_yuan, 100 * version.spend_step_yuan, Rounding.DOWN)
            if version
            else 0
        )
        lines = lines_of.get(o.pk, [])
        if full <= 0 or not lines:
            continue
        # As the live path would have it: the order earned ``full`` points,
        # attributed to its lines by what was paid for them, and each refund
        # reversed the refunded units' part (``points.services.orders._share``).
        shares = allocate(full, [ln.paid_amount for ln in lines])
        earned = [
            LineEarning(
                line=ln,
                points=share,
                reversed_points=divide(share * ln.refunded_quantity, ln.quantity, Rounding.DOWN),
            )
            for ln, share in zip(lines, shares, strict=True)
            if share
        ]
        points = sum(le.points - le.reversed_points for le in earned)
        if points <= 0:
            continue
        available_at = o.completed_at + window if o.completed_at is not None else None
        done = available_at is not None and available_at <= now
        attributions.append((len(lots), earned))
        lots.append(
            PointsLot(
                account_id=accounts[o.member_id],
                points=points,
                remaining=points,
                state=LotState.AVAILABLE if done else LotState.PENDING,
                earned_at=paid_at,
                # As order_completed schedules it: completion plus the window
                # (the activation job makes the pending ones available then).
                available_at=available_at,
                expires_at=lot_expiry(
                    program, earned_at=paid_at, available_at=available_at if done else None
                ),
                order_id=o.pk,
                rule_version_id=order_rule.current_version_id,
            )
        )
        meta.append(
            (
                accounts[o.member_id],
                "order_earn",
                {"order_id": o.external_id, "rule": order_rule.name},
                order_rule.pk,
                order_rule.current_version_id,
                o.pk,
            )
        )
    entries: list[LedgerEntry] = []
    for lot, (account_id, code, params, rule_id, version_id, order_id) in zip(
        lots, meta, strict=True
    ):
        pending = lot.state == LotState.PENDING
        if lot.expires_at is not None and lot.expires_at <= now and not pending:
            lot.state, lot.expired_points, lot.remaining = LotState.EXPIRED, lot.points, 0
            lot.expired_at = lot.expires_at
        entries.append(
            LedgerEntry(
                account_id=account_id,
                kind=EntryKind.EARN,
                points=lot.points,
                delta_available=0 if pending else lot.points,
                delta_pending=lot.points if pending else 0,
                delta_lifetime=lot.points,
                rule_id=rule_id,
                rule_version_id=version_id,
                order_id=order_id,
                reason_code=code,
                reason_params=params,
                created_at=lot.earned_at,
            )
        )
    PointsLot.objects.bulk_create(lots, batch_size=BATCH)
    for index, earned in attributions:
        for le in earned:
            le.lot = lots[index]
    LineEarning.objects.bulk_create(
        [le for _, earned in attributions for le in earned], batch_size=BATCH
    )
    # As the expiry job writes them: one entry per account and run (here, per
    # expiry time), the lots stamped with it.
    expired: dict[tuple[int, dt.datetime], list[PointsLot]] = {}
    for lot in lots:
        if lot.state == LotState.EXPIRED and lot.expired_at is not None:
            expired.setdefault((lot.account_id, lot.expired_at), []).append(lot)
    expire_entries = [
        LedgerEntry(
            account_id=account_id,
            kind=EntryKind.EXPIRE,
            points=-sum(lt.points for lt in taken),
            delta_available=-sum(lt.points for lt in taken),
            reason_code="expire",
            reason_params={"lots": len(taken)},
            created_at=at,
        )
        for (account_id, at), taken in expired.items()
    ]
    for entry, lot in zip(entries, lots, strict=True):
        entry.lot_id = lot.pk
    LedgerEntry.objects.bulk_create(entries + expire_entries, batch_size=BATCH)
    totals: dict[int, list[int]] = {}
    for entry in entries + expire_entries:
        t = totals.setdefault(entry.account_id, [0, 0, 0])
        t[0] += entry.delta_available
        t[1] += entry.delta_pending
        t[2] += entry.delta_lifetime
    PointsAccount.objects.bulk_update(
        [
            PointsAccount(pk=aid, available=a, pending=p, lifetime_earned=lt, updated_at=now)
            for aid, (a, p, lt) in totals.items()
        ],
        ["available", "pending", "lifetime_earned", "updated_at"],
        batch_size=BATCH,
    )
    ctx.summary["points_lots"] = len(lots)
    ctx.summary["points_entries"] = len(entries) + len(expire_entries)
