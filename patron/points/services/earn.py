"""Earning on orders (pending until the return window passes); actions, which
earn at once, are in ``actions`` and share the caps and effects here.

Every function here runs inside the caller's transaction (the event's, or its
own ``transaction.atomic``) and locks the member's account before reading caps,
so two events for one member cannot both slip under a cap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from patron.core import clock
from patron.core.bulk import bulk_set
from patron.core.models import Shop
from patron.core.money import allocate
from patron.events.models import Event
from patron.members.models import Member
from patron.orders import services as order_services
from patron.orders.models import Order, OrderLine
from patron.points import earning_rules, selectors
from patron.points.models import (
    EntryKind,
    LedgerEntry,
    LineEarning,
    PointsAccount,
    PointsLot,
)
from patron.points.services.ledger import (
    Refs,
    account_lock,
    accounts_lock,
    add_months_to_day,
    do_credit,
    entry_row,
    local_midnight,
    lot_expiry,
    lot_row,
    points_program_get,
)
from patron.rules.models import EarningRuleVersion, Trigger
from patron.rules.selectors import versions_in_force


def _day_and_month(at: dt.datetime) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
    """[start, end) of the local day and of the local month of ``at``."""
    day = timezone.localtime(at).date()
    first = day.replace(day=1)
    return (
        (local_midnight(day), local_midnight(day + dt.timedelta(days=1))),
        (local_midnight(first), local_midnight(add_months_to_day(first, 1))),
    )


def cap_room(
    account: PointsAccount | None, version: EarningRuleVersion, at: dt.datetime
) -> int | None:
    """Points this rule may still give the account on the day and in the
    month of ``at`` (None: no cap). ``at`` is when the earning happened (the
    event's time), and what counts against it is what the rule earned on that
    day and in that month by the same measure (each entry's lot's
    ``earned_at``), so late and backdated events fill their own day's cap."""
    if not (version.daily_cap or version.monthly_cap):
        return None
    if account is None or account.pk is None:
        used_day = used_month = 0
    else:
        (day_start, day_end), (month_start, month_end) = _day_and_month(at)
        used = (
            LedgerEntry.objects.filter(
                account=account, rule_id=version.rule_id, kind=EntryKind.EARN
            )
            # Entries written without a lot (demo seeding) count by their own time.
            .annotate(earned=Coalesce(F("lot__earned_at"), F("created_at")))
            .filter(earned__gte=month_start, earned__lt=month_end)
            .aggregate(
                day=Sum("points", filter=Q(earned__gte=day_start, earned__lt=day_end)),
                month=Sum("points"),
            )
        )
        used_day, used_month = used["day"] or 0, used["month"] or 0
    room: int | None = None
    if version.daily_cap:
        room = version.daily_cap - used_day
    if version.monthly_cap:
        month_room = version.monthly_cap - used_month
        room = month_room if room is None else min(room, month_room)
    return max(0, room or 0)


def capped(e: earning_rules.RuleEarning, room: int | None) -> tuple[int, dict[str, int]]:
    """What rule earning ``e`` gives with ``room`` left under its caps (None:
    no cap), and each line's share of it; notes ``e.capped_from`` when cut."""
    if room is None or room >= e.points:
        return e.points, e.line_points
    ids = list(e.line_points)
    e.capped_from = e.points
    return room, dict(zip(ids, allocate(room, [e.line_points[i] for i in ids]), strict=True))


@dataclass
class PreviewedRule:
    earning: earning_rules.RuleEarning
    points: int  # after caps
    line_points: dict[str, int]


def order_preview(
    *,
    shop: Shop,
    member: Member | None,
    data: order_services.PaidOrderInput,
    at: dt.datetime,
    event_data: dict[str, Any],
) -> tuple[list[PreviewedRule], list[earning_rules.Skipped]]:
    """What ``order_earn`` would credit, rule by rule and line by line, if
    this order were paid at ``at`` (its caps those of that day and month); and
    the rules that would give nothing. Writes nothing: the order and its lines are
    built as ``order_record_paid`` would build them, and the rules, caps and
    splits are the ones ``order_earn`` applies."""
    order, lines = order_services.paid_order_draft(shop, member, data, at)
    versions = versions_in_force(shop=shop, trigger=Trigger.ORDER_PAID, at=at)
    facts = order_facts(order, lines, event_data)
    earned, skipped = earning_rules.order_earnings(facts=facts, member=member, versions=versions)
    account = selectors.account_get(member=member) if member else None
    rules = []
    for e in earned:
        points, line_points = capped(e, cap_room(account, e.version, at))
        rules.append(PreviewedRule(e, points, line_points))
    return rules, skipped


def rule_effect(version: EarningRuleVersion, points: int, **extra: Any) -> dict[str, Any]:
    return {
        "rule_id": version.rule_id,
        "rule": version.rule.name,
        "rule_version": version.version,
        "points": points,
        **extra,
    }


def order_facts(
    order: Order, lines: list[OrderLine], event_data: dict[str, Any] | None = None
) -> earning_rules.OrderFacts:
    return earning_rules.OrderFacts(
        order_id=order.external_id,
        lines=[
            earning_rules.LineFacts(
                line_id=ln.line_id,
                sku=ln.sku,
                category=ln.category,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                paid_amount=ln.paid_amount,
            )
            for ln in lines
        ],
        paid_amount=order.paid_amount,
        shipping_fee=order.shipping_fee,
        items_amount=order.items_amount,
        points_used=order.points_used,
        coupon_codes=list(order.coupon_codes),
        paid_at=order.paid_at or order.placed_at,
        event_data=event_data or {},
    )


def order_earn(*, order: Order, member: Member, event: Event | None = None) -> list[dict[str, Any]]:
    """Credit the order's points as pending lots, with per-line attribution."""
    lines, earned = _order_earnings(order, member, event)
    if not earned:
        return []
    account = account_lock(member=member)
    program = points_program_get(order.shop)
    earned_at = _earned_at(order)
    by_line_id = {ln.line_id: ln for ln in lines}
    effects: list[dict[str, Any]] = []
    for e in earned:
        points, line_points = capped(e, cap_room(account, e.version, earned_at))
        if points <= 0:
            effects.append({"type": "points.capped", **rule_effect(e.version, 0)})
            continue
        entry, lot = do_credit(
            account,
            points=points,
            kind=EntryKind.EARN,
            pending=True,
            expires_at=lot_expiry(program, earned_at=earned_at, available_at=None),
            earned_at=earned_at,
            order_id=order.pk,
            refs=_order_earn_refs(order, e, event),
        )
        LineEarning.objects.bulk_create(_line_earnings(lot, by_line_id, line_points))
        effects.append(_order_earned_effect(entry, e, points))
    return effects


def _earned_at(order: Order) -> dt.datetime:
    """When an order's points were earned: when it was paid (the order.paid
    event's own time, however late the event arrived)."""
    at = order.paid_at or order.placed_at
    assert at is not None
    return at


def _order_earnings(
    order: Order,
    member: Member,
    event: Event | None,
    tier: tuple[str, int] | None = None,
) -> tuple[list[OrderLine], list[earning_rules.RuleEarning]]:
    """The order's lines and what each rule in force gives it (before caps).
    ``tier`` is ``earning_rules.member_tier(member)`` when the caller has it."""
    assert order.paid_at is not None
    versions = versions_in_force(shop=order.shop, trigger=Trigger.ORDER_PAID, at=order.paid_at)
    if not versions:
        return [], []
    # .all(): the lines order_record_paid just wrote come from its prefetch cache.
    lines = sorted(order.lines.all(), key=lambda ln: ln.pk)
    facts = order_facts(order, lines, event.payload.get("data") if event else None)
    earned, _skipped = earning_rules.order_earnings(
        facts=facts, member=member, versions=versions, tier_of_member=tier
    )
    return lines, earned


def _order_earn_refs(order: Order, e: earning_rules.RuleEarning, event: Event | None) -> Refs:
    params: dict[str, Any] = {
        "order_id": order.external_id,
        "rule": e.version.rule.name,
        "points_per_yuan": e.version.points_per_yuan,
    }
    if e.multipliers:
        params["multipliers"] = e.multipliers
    if "campaign" in e.multipliers and e.version.campaign_name:
        params["campaign"] = e.version.campaign_name
    if e.capped_from is not None:
        params["capped_from"] = e.capped_from
    return Refs(
        reason_code="order_earn",
        reason_params=params,
        rule_id=e.version.rule_id,
        rule_version_id=e.version.pk,
        event_id=event.pk if event else None,
        order_id=order.pk,
    )


def _line_earnings(
    lot: PointsLot, by_line_id: dict[str, OrderLine], line_points: dict[str, int]
) -> list[LineEarning]:
    return [
        LineEarning(lot=lot, line=by_line_id[line_id], points=p)
        for line_id, p in line_points.items()
        if p
    ]


def _order_earned_effect(
    entry: LedgerEntry, e: earning_rules.RuleEarning, points: int
) -> dict[str, Any]:
    return {
        "type": "points.earned",
        "state": "pending",
        "entry_id": entry.pk,
        **rule_effect(e.version, points),
        **({"multipliers": e.multipliers} if e.multipliers else {}),
        **({"capped_from": e.capped_from} if e.capped_from is not None else {}),
    }


def order_rules_capped(*, shop: Shop, at: dt.datetime) -> bool:
    """Whether an order-earning rule in force at ``at`` has a daily or monthly cap."""
    versions = versions_in_force(shop=shop, trigger=Trigger.ORDER_PAID, at=at)
    return any(v.daily_cap or v.monthly_cap for v in versions)


@dataclass(frozen=True)
class OrderToEarn:
    """One paid order of ``order_earn_many``, with its member's tier code and
    earn multiplier (``earning_rules.member_tier``)."""

    order: Order
    member: Member
    event: Event
    tier: tuple[str, int]


def order_earn_many(*, shop: Shop, items: list[OrderToEarn]) -> dict[int, list[dict[str, Any]]]:
    """``order_earn`` for paid orders of distinct members at once: the same
    lots, entries, line attribution and balances, in five statements. Effects
    by order pk.

    Only for rules without caps (``order_rules_capped``): a cap needs each
    account's usage read before its credit, which is what ``order_earn`` does.
    """
    plans: list[tuple[OrderToEarn, list[OrderLine], list[earning_rules.RuleEarning]]] = []
    for it in items:
        lines, earned = _order_earnings(it.order, it.member, it.event, it.tier)
        assert not any(e.version.daily_cap or e.version.monthly_cap for e in earned), "capped"
        if earned:
            plans.append((it, lines, earned))
    if not plans:
        return {}
    accounts = accounts_lock(shop_id=shop.pk, member_ids=[it.member.pk for it, _, _ in plans])
    now = clock.now()
    program = points_program_get(shop)
    lots: list[PointsLot] = []
    entries: list[tuple[int, earning_rules.RuleEarning, LedgerEntry]] = []
    attribution: list[tuple[PointsLot, dict[str, OrderLine], dict[str, int]]] = []
    for it, lines, earned in plans:
        account = accounts[it.member.pk]
        earned_at = _earned_at(it.order)
        expires_at = lot_expiry(program, earned_at=earned_at, available_at=None)
        for e in earned:
            refs = _order_earn_refs(it.order, e, it.event)
            lot = lot_row(
                account,
                points=e.points,
                pending=True,
                now=now,
                expires_at=expires_at,
                refs=refs,
                order_id=it.order.pk,
                earned_at=earned_at,
            )
            entry = entry_row(
                account,
                kind=EntryKind.EARN,
                points=e.points,
                refs=refs,
                now=now,
                d_pending=e.points,
                d_lifetime=e.points,
                lot=lot,
            )
            lots.append(lot)
            entries.append((it.order.pk, e, entry))
            attribution.append((lot, {ln.line_id: ln for ln in lines}, e.line_points))
            account.pending += e.points
            account.lifetime_earned += e.points
            account.updated_at = now
    # Saving the lots gives them their ids; bulk_create then fills each
    # entry's and attribution's lot_id from the lot object it holds.
    PointsLot.objects.bulk_create(lots)
    LedgerEntry.objects.bulk_create([entry for _, _, entry in entries])
    LineEarning.objects.bulk_create(
        [
            row
            for lot, by_line_id, points in attribution
            for row in _line_earnings(lot, by_line_id, points)
        ]
    )
    bulk_set(list(accounts.values()), ["pending", "lifetime_earned", "updated_at"])
    effects: dict[int, list[dict[str, Any]]] = {}
    for order_pk, e, entry in entries:
        effects.setdefault(order_pk, []).append(_order_earned_effect(entry, e, e.points))
    return effects
