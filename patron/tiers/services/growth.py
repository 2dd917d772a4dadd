"""Growth value accrual and the immediate upgrade, inside the event's transaction.

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
from patron.core.bulk import bulk_set
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
    TierChange,
    TierChangeCause,
    TierProgram,
)
from patron.tiers.services.locks import member_tier_lock, member_tiers_lock


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


def tier_upgrade_if_qualified(
    *,
    member: Member,
    program: TierProgram,
    tiers: list[Tier],
    event_id: str,
    value: int | None = None,
) -> dict[str, Any] | None:
    """Move the member straight to the highest tier their value now reaches.

    Returns the ``tier.upgraded`` effect, or None. Overridden members stay put.
    """
    state = member_tier_lock(member)
    if value is None:
        value = selectors.qualifying_value(member, program, clock.today())
    upgrade = (member, state, value, event_id)
    return tiers_upgrade(program=program, tiers=tiers, upgrades=[upgrade]).get(member.pk)


def _place(
    state: MemberTier, tier: Tier, now: dt.datetime, protected_until: dt.date | None
) -> None:
    """Put the member's (unsaved) tier row on ``tier`` from ``now``, any grace
    over; the caller writes it and records the change."""
    state.tier = tier
    state.since = now
    state.protected_until = protected_until
    state.grace_until = None
    state.updated_at = now


def tiers_upgrade(
    *,
    program: TierProgram,
    tiers: list[Tier],
    upgrades: list[tuple[Member, MemberTier | None, int, str]],
) -> dict[int, dict[str, Any]]:
    """Move each (member, their locked tier row or None, value, event id) to
    the highest tier the value reaches, all in three statements. Members the
    value takes no higher, and overridden ones, stay put. Effects by member id
    of those that moved.
    """
    if not tiers:
        return {}
    by_pk = {t.pk: t for t in tiers}
    today, now = clock.today(), clock.now()
    protected_until = periods.period_end(today, program.period, periods_later=1)
    created: list[MemberTier] = []
    moved: list[MemberTier] = []
    changes: list[TierChange] = []
    effects: dict[int, dict[str, Any]] = {}
    for member, state, value, event_id in upgrades:
        if state is not None and state.override_id is not None:
            continue
        current = by_pk.get(state.tier_id) if state is not None else tiers[0]
        current_rank = current.rank if current is not None else -1
        reached = [t for t in tiers if t.entry_threshold <= value and t.rank > current_rank]
        if not reached:
            continue
        target = reached[-1]
        if state is None:
            created.append(
                MemberTier(
                    member=member,
                    shop_id=member.shop_id,
                    tier=target,
                    since=now,
                    protected_until=protected_until,
                    updated_at=now,
                )
            )
            from_tier = tiers[0] if tiers[0].pk != target.pk else None
        else:
            from_tier = current
            _place(state, target, now, protected_until)
            moved.append(state)
        changes.append(
            TierChange(
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
        )
        effects[member.pk] = {
            "type": "tier.upgraded",
            "member": member.external_id,
            "from": from_tier.code if from_tier else None,
            "to": target.code,
            "value": value,
            "threshold": target.entry_threshold,
            "measure": program.qualifying_measure,
            "protected_until": protected_until.isoformat(),
        }
    MemberTier.objects.bulk_create(created)
    bulk_set(moved, ["tier", "since", "protected_until", "grace_until", "updated_at"])
    TierChange.objects.bulk_create(changes)
    return effects


def _reversed_upgrade(
    *, member: Member, state: MemberTier, order_events: set[str]
) -> tuple[TierChange, TierChange | None] | None:
    """The upgrade that put the member in their current tier, if one of
    ``order_events`` (an order's events) caused it, with the change before it.

    Earlier reversals of the same order's upgrade (a first partial refund) are
    looked through, so refunds of one order step the member down cumulatively.
    Any other change since (a job, an override, another order's upgrade) means
    the current tier did not come from this order."""
    history = TierChange.objects.filter(member=member).order_by("-at", "-id")
    changes = list(history[:20])
    if not changes or changes[0].to_tier_id != state.tier_id:
        return None
    for i, change in enumerate(changes):
        if change.event_id not in order_events:
            return None
        if change.cause == TierChangeCause.UPGRADE_REVERSED:
            continue
        if change.cause != TierChangeCause.EVENT or change.direction != 1:
            return None
        return change, changes[i + 1] if i + 1 < len(changes) else None
    return None


def tier_upgrade_reverse_if_unearned(
    *,
    member: Member,
    program: TierProgram,
    tiers: list[Tier],
    order: Order,
    event_id: str,
    value: int | None = None,
) -> dict[str, Any] | None:
    """After a refund or cancellation of ``order`` took value back: if the
    member's current tier came from an upgrade that order caused and the value
    left no longer reaches that tier's entry threshold, move the member at once
    to the highest tier the value reaches, never below the tier they had
    before the upgrade. Protection follows: the upgrade's protection stays
    while the member keeps a tier above the one they had before (the order
    still lifted them), and back in that tier they get the protection that
    tier's own upgrade gave (none if it is over or unknown).

    Recorded as a ``TierChange`` with cause ``upgrade_reversed`` and the
    refund's event id (the note names the order). Returns the
    ``tier.upgrade_reversed`` effect, or None. Overridden members stay put.
    Assumes the member row lock is held."""
    state = member_tier_lock(member)
    if state is None or state.override_id is not None:
        return None
    by_pk = {t.pk: t for t in tiers}
    current = by_pk.get(state.tier_id)
    if current is None:
        return None
    if value is None:
        value = selectors.qualifying_value(member, program, clock.today())
    if value >= current.entry_threshold:
        return None
    order_events = set(
        GrowthEntry.objects.filter(order=order)
        .exclude(event_id="")
        .values_list("event_id", flat=True)
    )
    found = _reversed_upgrade(member=member, state=state, order_events=order_events)
    if found is None:
        return None
    upgrade, before_change = found
    before = upgrade.from_tier or tiers[0]
    target = max(
        (
            t
            for t in tiers
            if t.rank < current.rank and (t.entry_threshold <= value or t.rank <= before.rank)
        ),
        key=lambda t: t.rank,
        default=tiers[0],
    )
    today, now = clock.today(), clock.now()
    protected_until = state.protected_until
    if target.rank <= before.rank:
        protected_until = None
        if (
            before_change is not None
            and before_change.direction == 1
            and before_change.to_tier_id == target.pk
            and before_change.cause != TierChangeCause.UPGRADE_REVERSED
        ):
            earned_on = timezone.localtime(before_change.at).date()
            until = periods.period_end(earned_on, program.period, periods_later=1)
            protected_until = until if until >= today else None
    from_tier = current
    _place(state, target, now, protected_until)
    bulk_set([state], ["tier", "since", "protected_until", "grace_until", "updated_at"])
    TierChange.objects.create(
        shop_id=member.shop_id,
        member=member,
        from_tier=from_tier,
        to_tier=target,
        direction=-1,
        at=now,
        cause=TierChangeCause.UPGRADE_REVERSED,
        measure=program.qualifying_measure,
        value=value,
        threshold=from_tier.entry_threshold,
        event_id=event_id,
        note=f"order {order.external_id} {order.status}: upgrade by event {upgrade.event_id} "
        "no longer earned"[:200],
    )
    return {
        "type": "tier.upgrade_reversed",
        "member": member.external_id,
        "from": from_tier.code,
        "to": target.code,
        "value": value,
        "threshold": from_tier.entry_threshold,
        "measure": program.qualifying_measure,
        "order": order.external_id,
        "upgrade_event": upgrade.event_id,
        "protected_until": protected_until.isoformat() if protected_until else None,
    }


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
