"""Growth value accrual, inside the event's transaction (the immediate upgrade
it leads to, and its reversal, are in ``upgrades``).

Every function here assumes the caller holds the member row lock
(``members.services.member_lock``), so a member's rollup rows and tier state change one event
at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import Exists, Max, Min, OuterRef, Sum
from django.utils import timezone

from patron.core import clock
from patron.core.money import Rounding, divide
from patron.events.models import Event
from patron.members.models import Member
from patron.members.services import members_lock
from patron.orders.models import Order, OrderStatus
from patron.tiers import periods, selectors
from patron.tiers.models import (
    GrowthEntry,
    GrowthKind,
    GrowthMonth,
    MemberTier,
    QualifyingMeasure,
    Tier,
    TierProgram,
)
from patron.tiers.services.locks import member_tiers_lock
from patron.tiers.services.upgrades import tiers_upgrade


def local_month(at: dt.datetime) -> dt.date:
    return periods.month_start(timezone.localtime(at).date())


def _rollup_add(rows: list[tuple[int, int, dt.date, int]]) -> None:
    """Add (shop id, member id, month, value) rows to the members' months, an
    upsert each (on both databases), in one round trip."""
    if not rows:
        return
    table = connection.ops.quote_name(GrowthMonth._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (shop_id, member_id, month, value) VALUES (%s, %s, %s, %s) "  # noqa: S608
            f"ON CONFLICT (member_id, month) DO UPDATE SET value = {table}.value + excluded.value",
            rows,
        )


def growth_append(entries: list[GrowthEntry]) -> None:
    """Append entries (each with its member set; zero values dropped) and add
    them to their members' months, in member and month order."""
    entries = [e for e in entries if e.value]
    if not entries:
        return
    now = clock.now()
    for e in entries:
        e.shop_id = e.member.shop_id
        e.created_at = now
    GrowthEntry.objects.bulk_create(entries)
    by_month: dict[tuple[int, int, dt.date], int] = {}
    for e in entries:
        key = (e.shop_id, e.member_id, e.month)
        by_month[key] = by_month.get(key, 0) + e.value
    _rollup_add([(*key, value) for key, value in sorted(by_month.items()) if value])


def growth_record_many(*, member: Member, entries: list[GrowthEntry]) -> int:
    """Append entries (zero values dropped) and add them to the member's months.
    Returns the total change."""
    for e in entries:
        e.member = member
    growth_append(entries)
    return sum(e.value for e in entries)


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
) -> int:
    """Append one growth entry and add it to the member's month. 0 writes nothing."""
    return growth_record_many(
        member=member,
        entries=[
            GrowthEntry(
                kind=kind,
                value=value,
                month=month,
                occurred_at=occurred_at,
                basis=basis,
                weight=weight,
                order=order,
                event_id=event_id,
            )
        ],
    )


def paid_fen_to_growth(paid_fen: int, weight_per_yuan: int) -> int:
    """Convert an amount paid (fen) to spend growth: ``weight_per_yuan`` growth
    a yuan, rounded down to whole growth."""
    return divide(paid_fen * weight_per_yuan, 100, Rounding.DOWN)


def spend_basis(order: Order, program: TierProgram) -> int:
    """What an order's spend growth counts, in fen: what was paid for the
    goods, the base order points are earned on (shipping excluded), unless the
    programme counts shipping too (``growth_includes_shipping``)."""
    if program.growth_includes_shipping:
        return order.paid_amount
    return max(0, order.paid_amount - order.shipping_fee)


def order_paid_entries(
    *, member: Member, order: Order, program: TierProgram, event_id: str
) -> list[GrowthEntry]:
    """The growth entries of a paid order: its spend and its count. Dated
    when the order was paid (the event's own time), in that month."""
    basis = spend_basis(order, program)
    at = order.paid_at or order.placed_at
    common = {
        "member": member,
        "month": local_month(at),
        "occurred_at": at,
        "order": order,
        "event_id": event_id,
    }
    return [
        GrowthEntry(
            kind=GrowthKind.SPEND,
            value=paid_fen_to_growth(basis, program.growth_per_yuan),
            basis=basis,
            weight=program.growth_per_yuan,
            **common,
        ),
        GrowthEntry(
            kind=GrowthKind.ORDER,
            value=program.growth_per_order,
            basis=1,
            weight=program.growth_per_order,
            **common,
        ),
    ]


def growth_order_paid(*, member: Member, order: Order, program: TierProgram, event_id: str) -> int:
    """Growth for a paid order: its spend and its count. Returns the change."""
    return growth_record_many(
        member=member,
        entries=order_paid_entries(member=member, order=order, program=program, event_id=event_id),
    )


def growth_order_reversed(*, member: Member, order: Order, at: dt.datetime, event_id: str) -> int:
    """Bring an order's growth in line with what is left of it after a refund
    or cancellation. Uses the weights and the base (with or without shipping)
    the order earned with, and counts the reversal in the order's month;
    cumulative, so partial refunds add up to exactly what the order earned.
    Returns the (negative) change."""
    entries: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in GrowthEntry.objects.filter(order=order)
        .values("kind")
        .annotate(total=Sum("value"), weight=Max("weight"), month=Min("month"), basis=Max("basis"))
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
        # Partial refunds give back goods only (shipping goes with the last
        # refund, which leaves the order gone), so what is left of the base is
        # the base less what was refunded, whether the base counted shipping.
        remaining_paid = 0 if gone else max(0, int(spend["basis"]) - order.refunded_amount)
        target = -(int(spend["total"]) - paid_fen_to_growth(remaining_paid, weight))
        done = int(entries.get(GrowthKind.SPEND_REVERSAL, {}).get("total") or 0)
        delta = target - done
        change += growth_record(
            member=member,
            kind=GrowthKind.SPEND_REVERSAL,
            value=delta,
            month=month,
            occurred_at=at,
            basis=order.refunded_amount,
            weight=weight,
            order=order,
            event_id=event_id,
        )
    if counted is not None and gone:
        done = int(entries.get(GrowthKind.ORDER_REVERSAL, {}).get("total") or 0)
        delta = -int(counted["total"]) - done
        change += growth_record(
            member=member,
            kind=GrowthKind.ORDER_REVERSAL,
            value=delta,
            month=month,
            occurred_at=at,
            basis=1,
            order=order,
            event_id=event_id,
        )
    return change


def growth_activity(
    *, member: Member, kind: str, weight: int, at: dt.datetime, event_id: str
) -> int:
    return growth_record(
        member=member,
        kind=kind,
        value=weight,
        month=local_month(at),
        occurred_at=at,
        basis=1,
        weight=weight,
        event_id=event_id,
    )


def review_counted(*, member: Member, review_id: str) -> bool:
    """Whether the member's growth already counts this review, whatever event
    id it came under (a shop may resend a review under a new event id; the
    points app likewise earns once per review)."""
    same_review = Event.objects.filter(
        shop_id=member.shop_id,
        external_id=OuterRef("event_id"),
        type="review.posted",
        payload__data__review_id=review_id,
    )
    return (
        GrowthEntry.objects.filter(member=member, kind=GrowthKind.REVIEW)
        .filter(Exists(same_review))
        .exists()
    )


def growth_review(
    *, member: Member, review_id: str, weight: int, at: dt.datetime, event_id: str
) -> int:
    """Growth for a review, once per (member, review id). Returns the change."""
    if review_counted(member=member, review_id=review_id):
        return 0
    return growth_activity(
        member=member, kind=GrowthKind.REVIEW, weight=weight, at=at, event_id=event_id
    )


def orders_paid_progress(
    *, program: TierProgram, tiers: list[Tier], paid: list[tuple[Member, Order, str]]
) -> dict[int, list[dict[str, Any]]]:
    """What ``tier_progress`` does for ``order.paid``, for (member, order, event
    id) of distinct members at once: lock the members, record the growth, and
    upgrade whoever now reaches a higher tier. Effects by member id.

    For a growth-value programme only (lifetime points qualify through the
    points ledger, which ``tier_progress`` reads member by member)."""
    assert program.qualifying_measure != QualifyingMeasure.LIFETIME_POINTS
    members_lock([m.pk for m, _, _ in paid])
    entries = {
        m.pk: order_paid_entries(member=m, order=o, program=program, event_id=e) for m, o, e in paid
    }
    growth_append([e for member_entries in entries.values() for e in member_entries])
    deltas = {m: sum(e.value for e in member_entries) for m, member_entries in entries.items()}
    moved = [m for m, delta in deltas.items() if delta]
    values = selectors.growth_values(moved, program)
    states = member_tiers_lock(moved)
    effects: dict[int, list[dict[str, Any]]] = {}
    upgrades: list[tuple[Member, MemberTier | None, int, str]] = []
    for member, _order, event_id in paid:
        delta = deltas[member.pk]
        if not delta:
            continue
        value = values[member.pk]
        effects[member.pk] = [{"type": "growth.changed", "delta": delta, "growth_value": value}]
        if delta > 0:
            upgrades.append((member, states.get(member.pk), value, event_id))
    for member_id, effect in tiers_upgrade(program=program, tiers=tiers, upgrades=upgrades).items():
        effects[member_id].append(effect)
    return effects
