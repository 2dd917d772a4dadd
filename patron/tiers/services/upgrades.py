"""The immediate tier upgrade when growth reaches a higher tier, and its
reversal when the order that caused it is cancelled or refunded, inside the
event's transaction.

Every function here assumes the caller holds the member row lock
(``members.services.member_lock``), so a member's tier state changes one
event at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from patron.core import clock
from patron.core.bulk import bulk_set
from patron.members.models import Member
from patron.orders.models import Order
from patron.tiers import messages, periods, selectors
from patron.tiers.models import (
    GrowthEntry,
    MemberTier,
    Tier,
    TierChange,
    TierChangeCause,
    TierProgram,
)
from patron.tiers.services.locks import member_tier_lock


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
    notices: list[tuple[Member, Tier | None, Tier, str]] = []
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
        notices.append((member, from_tier, target, event_id))
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
    messages.tier_changes_notify(changes=notices, direction=1, cause="tier.upgraded")
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
    messages.tier_changes_notify(
        changes=[(member, from_tier, target, event_id)], direction=-1, cause="tier.downgraded"
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
