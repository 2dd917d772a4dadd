"""Points on the order's life: redeem at payment, schedule on completion,
remove on cancellation, reverse exactly per line on refund.

Each function runs inside the event's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet

from patron.core import clock
from patron.core.money import Rounding, allocate, divide
from patron.events.models import Event
from patron.orders.models import Order, OrderLine, Refund
from patron.points.models import (
    EntryKind,
    LedgerEntry,
    LineEarning,
    LotState,
    PointsAccount,
    PointsLot,
    PointsProgram,
)
from patron.points.services.ledger import (
    Refs,
    account_lock,
    do_activate,
    do_credit,
    do_debit,
    do_reverse_earning,
    lot_expiry,
    points_program_get,
    points_program_get_by_shop_id,
)


def _event_id(event: Event | None) -> int | None:
    return event.pk if event is not None else None


def order_redeem(*, order: Order, event: Event | None = None) -> list[dict[str, Any]]:
    """Pay ``order.points_used`` from the member's balance (409 if not enough)."""
    if order.points_used <= 0 or _paid_by_checkout_hold(order):
        return []
    account = account_lock(member=order.member)
    entry = do_debit(
        account,
        points=order.points_used,
        kind=EntryKind.REDEEM,
        refs=Refs(
            reason_code="order_redeem",
            reason_params={"order_id": order.external_id},
            event_id=_event_id(event),
            order_id=order.pk,
        ),
    )
    return [
        {
            "type": "points.redeemed",
            "points": -order.points_used,
            "entry_id": entry.pk,
            "available": account.available,
        }
    ]


def _with_rule(lots: QuerySet[PointsLot]) -> QuerySet[PointsLot]:
    """Lock ``lots`` (only them: not the rule versions joined) and give each
    the earning rule of its version, which its later entries record."""
    return lots.select_for_update(of=("self",)).annotate(version_rule_id=F("rule_version__rule_id"))


def _rule_id(lot: PointsLot) -> int | None:
    """The earning rule of a lot read through ``_with_rule``."""
    return lot.version_rule_id  # type: ignore[attr-defined,no-any-return]


def _activation_refs(lot: PointsLot, order_external_id: str, event: Event | None = None) -> Refs:
    return Refs(
        reason_code="order_activate",
        reason_params={"order_id": order_external_id},
        rule_id=_rule_id(lot),
        rule_version_id=lot.rule_version_id,
        event_id=_event_id(event),
        order_id=lot.order_id,
    )


def available_after_completion(program: PointsProgram, completed_at: dt.datetime) -> dt.datetime:
    """When an order's pending points become available: its completion plus
    the return window (the points preview gives the same date)."""
    return completed_at + dt.timedelta(days=program.return_window_days)


def order_completed(*, order: Order, event: Event | None = None) -> list[dict[str, Any]]:
    """Pending points of the order become available after the return window."""
    program = points_program_get(order.shop)
    completed_at = order.completed_at or clock.now()
    available_at = available_after_completion(program, completed_at)
    pending = PointsLot.objects.filter(order=order, state=LotState.PENDING)
    pending.update(available_at=available_at)
    total = sum(pending.values_list("remaining", flat=True))
    if not total:
        return []
    effects: list[dict[str, Any]] = [
        {"type": "points.scheduled", "points": total, "available_at": available_at.isoformat()}
    ]
    if available_at <= clock.now():
        account = account_lock(member=order.member)
        pending_lots = PointsLot.objects.filter(order=order, state=LotState.PENDING)
        for lot in _with_rule(pending_lots).order_by("pk"):
            refs = _activation_refs(lot, order.external_id, event)
            entry = do_activate(account, lot=lot, refs=refs, program=program)
            if entry is not None:
                effects.append(
                    {"type": "points.activated", "points": entry.points, "entry_id": entry.pk}
                )
    return effects


def _paid_by_checkout_hold(order: Order) -> bool:
    """The order's points were held at checkout and captured (patron.points.services.cash):
    the hold's own release and refund code gives them back, so nothing here repeats it."""
    return LedgerEntry.objects.filter(order_id=order.pk, kind=EntryKind.CAPTURE).exists()


def _points_used_by_line(order: Order, lines: list[OrderLine]) -> dict[int, int]:
    """The order's points paid, spread over its lines by line amount (exact)."""
    parts = allocate(order.points_used, [ln.quantity * ln.unit_price for ln in lines])
    return {ln.pk: p for ln, p in zip(lines, parts, strict=True)}


def _share(total: int, done_before: int, done_after: int, quantity: int) -> int:
    """The part of ``total`` owed to units ``done_before``..``done_after`` of ``quantity``;
    successive parts add up to ``total`` exactly."""
    return divide(total * done_after, quantity, Rounding.DOWN) - divide(
        total * done_before, quantity, Rounding.DOWN
    )


def _reverse_and_return(
    *,
    order: Order,
    account: PointsAccount,
    refunded: list[tuple[OrderLine, int, int]],  # (line, units before, units after)
    event: Event | None,
    reason: str,
    refund_id: str = "",
) -> list[dict[str, Any]]:
    program = points_program_get(order.shop)
    effects: list[dict[str, Any]] = []
    line_ids = [ln.pk for ln, _, _ in refunded]
    units = {ln.pk: (before, after, ln.quantity) for ln, before, after in refunded}
    earnings = list(
        LineEarning.objects.select_for_update(of=("self",))
        .filter(line_id__in=line_ids)
        .select_related("lot")
        .order_by("lot_id", "pk")
    )
    per_lot: dict[int, int] = defaultdict(int)
    lots: dict[int, PointsLot] = {}
    for le in earnings:
        before, after, quantity = units[le.line_id]
        take = min(_share(le.points, before, after, quantity), le.points - le.reversed_points)
        if take <= 0:
            continue
        le.reversed_points += take
        per_lot[le.lot_id] += take
        lots[le.lot_id] = le.lot
    if per_lot:
        LineEarning.objects.bulk_update(earnings, ["reversed_points"])
        # Lock the lots before touching them (account row is already ours).
        locked = {
            lot.pk: lot
            for lot in _with_rule(PointsLot.objects.filter(pk__in=per_lot)).order_by("pk")
        }
        for lot_id, points in per_lot.items():
            lot = locked[lot_id]
            params: dict[str, Any] = {"order_id": order.external_id}
            if refund_id:
                params["refund_id"] = refund_id
            state_before = lot.state
            entry = do_reverse_earning(
                account,
                lot=lot,
                points=points,
                debt_policy=program.debt_policy,
                refs=Refs(
                    reason_code=reason,
                    reason_params=params,
                    rule_id=_rule_id(lot),
                    rule_version_id=lot.rule_version_id,
                    event_id=_event_id(event),
                    order_id=order.pk,
                ),
            )
            effects.append(
                {
                    "type": "points.reversed",
                    "points": -points,
                    "was": state_before,
                    "entry_id": entry.pk,
                    **{
                        k: v
                        for k, v in entry.reason_params.items()
                        if k in ("debt", "forgiven", "already_expired")
                    },
                }
            )
    if order.points_used > 0 and not _paid_by_checkout_hold(order):
        # Given back when the refund or cancellation happened, by its own time.
        at = event.occurred_at if event is not None else clock.now()
        all_lines = list(order.lines.order_by("pk"))
        used = _points_used_by_line(order, all_lines)
        back = sum(
            _share(used[ln.pk], before, after, ln.quantity) for ln, before, after in refunded
        )
        if back > 0:
            params = {"order_id": order.external_id}
            if refund_id:
                params["refund_id"] = refund_id
            entry, _ = do_credit(
                account,
                points=back,
                kind=EntryKind.REVERSE,
                lifetime=False,
                expires_at=lot_expiry(program, earned_at=at, available_at=at),
                earned_at=at,
                refs=Refs(
                    reason_code="points_returned",
                    reason_params=params,
                    event_id=_event_id(event),
                    order_id=order.pk,
                ),
            )
            effects.append({"type": "points.returned", "points": back, "entry_id": entry.pk})
    return effects


def order_refunded(
    *, order: Order, refund: Refund, event: Event | None = None
) -> list[dict[str, Any]]:
    """Reverse what the refunded lines earned; give back points they were paid with.

    Assumes the orders app has already recorded the refund (line
    ``refunded_quantity`` includes it).
    """
    refunded = [
        (rl.line, rl.line.refunded_quantity - rl.quantity, rl.line.refunded_quantity)
        for rl in refund.lines.select_related("line").order_by("line_id")
    ]
    if not refunded:
        return []
    account = account_lock(member=order.member)
    return _reverse_and_return(
        order=order,
        account=account,
        refunded=refunded,
        event=event,
        reason="order_refund",
        refund_id=refund.external_id,
    )


def order_cancelled(*, order: Order, event: Event | None = None) -> list[dict[str, Any]]:
    """A cancelled order earns nothing and gets its points back."""
    lines = list(order.lines.order_by("pk"))
    account = account_lock(member=order.member)
    return _reverse_and_return(
        order=order,
        account=account,
        refunded=[(ln, ln.refunded_quantity, ln.quantity) for ln in lines],
        event=event,
        reason="order_cancel",
    )


def pending_activate_due(*, now: dt.datetime | None = None, batch: int = 500) -> int:
    """Make available every pending lot whose return window has passed.

    One short transaction per account (lock the account, then its due lots),
    because activation repays debt first, which depends on that account's state.
    """
    now = now or clock.now()
    activated = 0
    programs: dict[int, PointsProgram] = {}
    while True:
        account_ids = list(
            PointsLot.objects.filter(state=LotState.PENDING, available_at__lte=now)
            .order_by()
            .values_list("account_id", flat=True)
            .distinct()[:batch]
        )
        if not account_ids:
            return activated
        for account_id in account_ids:
            with transaction.atomic():
                account = PointsAccount.objects.select_for_update().get(pk=account_id)
                if account.shop_id not in programs:
                    programs[account.shop_id] = points_program_get_by_shop_id(account.shop_id)
                program = programs[account.shop_id]
                due = (
                    _with_rule(
                        PointsLot.objects.filter(
                            account=account, state=LotState.PENDING, available_at__lte=now
                        )
                    )
                    .annotate(order_external_id=F("order__external_id"))
                    .order_by("pk")
                )
                for lot in due:
                    ext = getattr(lot, "order_external_id", "") or ""
                    refs = _activation_refs(lot, ext)
                    if do_activate(account, lot=lot, refs=refs, program=program):
                        activated += 1
