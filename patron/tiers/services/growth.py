"""Growth value accrual and the immediate upgrade, inside the event's transaction.

Every function here assumes the caller holds the member row lock
(``member_lock``), so a member's rollup rows and tier state change one event
at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Min, Sum
from django.utils import timezone

from patron.core import clock
from patron.core.money import Rounding, divide
from patron.members.models import Member
from patron.orders.models import Order, OrderStatus
from patron.tiers import periods, selectors
from patron.tiers.models import (
    GrowthEntry,
    GrowthKind,
    GrowthMonth,
    MemberTier,
    Tier,
    TierChange,
    TierChangeCause,
    TierProgram,
)


def member_lock(member: Member) -> None:
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk", flat=True).get()


def local_month(at: dt.datetime) -> dt.date:
    return periods.month_start(timezone.localtime(at).date())


def _rollup_add(*, member: Member, month: dt.date, value: int) -> None:
    updated = GrowthMonth.objects.filter(member=member, month=month).update(
        value=F("value") + value
    )
    if updated:
        return
    try:
        with transaction.atomic():
            GrowthMonth.objects.create(
                shop_id=member.shop_id, member=member, month=month, value=value
            )
    except IntegrityError:
        GrowthMonth.objects.filter(member=member, month=month).update(value=F("value") + value)


def growth_record(
    *,
    member: Member,
    kind: str,
    value: int,
    month: dt.date,
    occurred_at: dt.datetime,
    basis: int = 0,
    weight: int = 0,
    order: Order | None = None,
    event_id: str = "",
) -> GrowthEntry | None:
    """Append one growth entry and add it to the member's month. 0 writes nothing."""
    if value == 0:
        return None
    entry = GrowthEntry.objects.create(
        shop_id=member.shop_id,
        member=member,
        kind=kind,
        value=value,
        month=month,
        occurred_at=occurred_at,
        basis=basis,
        weight=weight,
        order=order,
        event_id=event_id,
        created_at=clock.now(),
    )
    _rollup_add(member=member, month=month, value=value)
    return entry


def spend_growth(paid_fen: int, weight_per_yuan: int) -> int:
    """Growth for an amount paid: whole growth per yuan, rounded down."""
    return divide(paid_fen * weight_per_yuan, 100, Rounding.DOWN)


def growth_order_paid(*, member: Member, order: Order, program: TierProgram, event_id: str) -> int:
    """Growth for a paid order: its spend and its count. Returns the change."""
    month = local_month(order.paid_at or order.placed_at)
    at = order.paid_at or order.placed_at
    total = 0
    spend = spend_growth(order.paid_amount, program.growth_per_yuan)
    if growth_record(
        member=member,
        kind=GrowthKind.SPEND,
        value=spend,
        month=month,
        occurred_at=at,
        basis=order.paid_amount,
        weight=program.growth_per_yuan,
        order=order,
        event_id=event_id,
    ):
        total += spend
    if growth_record(
        member=member,
        kind=GrowthKind.ORDER,
        value=program.growth_per_order,
        month=month,
        occurred_at=at,
        basis=1,
        weight=program.growth_per_order,
        order=order,
        event_id=event_id,
    ):
        total += program.growth_per_order
    return total


def growth_order_reversed(*, member: Member, order: Order, at: dt.datetime, event_id: str) -> int:
    """Bring an order's growth in line with what is left of it after a refund
    or cancellation. Uses the weights the order earned with, and counts the
    reversal in the order's month; cumulative, so partial refunds add up to
    exactly what the order earned. Returns the (negative) change."""
    entries: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in GrowthEntry.objects.filter(order=order)
        .values("kind")
        .annotate(total=Sum("value"), weight=Max("weight"), month=Min("month"))
        .order_by()
    }
    spend = entries.get(GrowthKind.SPEND)
    counted = entries.get(GrowthKind.ORDER)
    if spend is None and counted is None:
        return 0
    month = (spend or counted)["month"]  # type: ignore[index]
    gone = order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    change = 0
    if spend is not None:
        weight = int(spend["weight"])
        remaining_paid = 0 if gone else order.paid_amount - order.refunded_amount
        target = -(int(spend["total"]) - spend_growth(remaining_paid, weight))
        done = int(entries.get(GrowthKind.SPEND_REVERSAL, {}).get("total") or 0)
        delta = target - done
        if growth_record(
            member=member,
            kind=GrowthKind.SPEND_REVERSAL,
            value=delta,
            month=month,
            occurred_at=at,
            basis=order.refunded_amount,
            weight=weight,
            order=order,
            event_id=event_id,
        ):
            change += delta
    if counted is not None and gone:
        done = int(entries.get(GrowthKind.ORDER_REVERSAL, {}).get("total") or 0)
        delta = -int(counted["total"]) - done
        if growth_record(
            member=member,
            kind=GrowthKind.ORDER_REVERSAL,
            value=delta,
            month=month,
            occurred_at=at,
            basis=1,
            order=order,
            event_id=event_id,
        ):
            change += delta
    return change


def growth_activity(
    *, member: Member, kind: str, weight: int, at: dt.datetime, event_id: str
) -> int:
    entry = growth_record(
        member=member,
        kind=kind,
        value=weight,
        month=local_month(at),
        occurred_at=at,
        basis=1,
        weight=weight,
        event_id=event_id,
    )
    return entry.value if entry else 0


def tier_upgrade_if_qualified(
    *, member: Member, program: TierProgram, tiers: list[Tier], event_id: str
) -> dict[str, Any] | None:
    """Move the member straight to the highest tier their value now reaches.

    Returns the ``tier.upgraded`` effect, or None. Overridden members stay put.
    """
    if not tiers:
        return None
    state = MemberTier.objects.select_for_update().filter(member=member).first()
    if state is not None and state.override_id is not None:
        return None
    by_pk = {t.pk: t for t in tiers}
    current = by_pk.get(state.tier_id) if state is not None else tiers[0]
    current_rank = current.rank if current is not None else -1
    today = clock.today()
    value = selectors.qualifying_value(member, program, today)
    reached = [t for t in tiers if t.entry_threshold <= value and t.rank > current_rank]
    if not reached:
        return None
    target = reached[-1]
    now = clock.now()
    protected_until = periods.period_end(today, program.period, periods_later=1)
    if state is None:
        state = MemberTier.objects.create(
            member=member,
            shop_id=member.shop_id,
            tier=target,
            since=now,
            protected_until=protected_until,
            updated_at=now,
        )
        from_tier = tiers[0] if tiers[0].pk != target.pk else None
    else:
        from_tier = current
        state.tier = target
        state.since = now
        state.protected_until = protected_until
        state.grace_until = None
        state.updated_at = now
        state.save(update_fields=["tier", "since", "protected_until", "grace_until", "updated_at"])
    TierChange.objects.create(
        shop_id=member.shop_id,
        member=member,
        from_tier=from_tier,
        to_tier=target,
        direction=1,
        at=now,
        cause=TierChangeCause.EVENT,
        measure=program.qualifying_measure,
        value=value,
        threshold=target.entry_threshold,
        event_id=event_id,
    )
    return {
        "type": "tier.upgraded",
        "member": member.external_id,
        "from": from_tier.code if from_tier else None,
        "to": target.code,
        "value": value,
        "threshold": target.entry_threshold,
        "measure": program.qualifying_measure,
        "protected_until": protected_until.isoformat(),
    }
