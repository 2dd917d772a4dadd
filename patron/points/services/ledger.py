"""The ledger primitives every points write goes through: credit and debit.

``do_*`` functions assume the account row is already locked by the caller
(``account_lock``) inside a transaction; they write the entry, the lots, the
draws and move the cached balances with one conditional UPDATE, so the cache
and the entries change together or not at all.

Lock order is always: account row, then its lots (earliest expiry first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from patron.core import clock, config_cache
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.locks import insert_or_first
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import (
    DebtPolicy,
    EntryKind,
    ExpiryPolicy,
    LedgerEntry,
    LotDraw,
    LotState,
    PointsAccount,
    PointsLot,
    PointsProgram,
)


def points_program_get(shop: Shop) -> PointsProgram:
    """The shop's settings; the defaults (unsaved) if the shop has none yet.
    Cached within an event (``core.config_cache``): do not modify."""

    def load() -> PointsProgram:
        program = PointsProgram.objects.filter(shop=shop).first()
        return program if program is not None else PointsProgram(shop=shop)

    return config_cache.cached(shop.pk, "points.program", load)


def add_months_to_day(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, the month's last day when it
    is shorter (31 January plus one month is 28 or 29 February).

    Not ``tiers.periods.month_start_plus``, which works on month starts."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # unreachable


def local_midnight(day: dt.date) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def expiry_for(program: PointsProgram, earned_at: dt.datetime) -> dt.datetime | None:
    """When points earned (and available) at ``earned_at`` expire: they are
    gone from that instant on, an exclusive local midnight.

    Points that may still be pending use ``lot_expiry``, which knows which of
    the lot's times each policy counts from."""
    from django.utils import timezone

    earned_day = timezone.localtime(earned_at).date()
    if program.expiry_policy == ExpiryPolicy.NEVER:
        return None
    if program.expiry_policy == ExpiryPolicy.MONTHS:
        # Valid through the whole day N months later.
        return local_midnight(
            add_months_to_day(earned_day, program.expiry_months) + dt.timedelta(days=1)
        )
    # YEAR_END_NEXT: valid through 31 December of the following year.
    return local_midnight(dt.date(earned_day.year + 2, 1, 1))


def lot_expiry(
    program: PointsProgram, *, earned_at: dt.datetime, available_at: dt.datetime | None
) -> dt.datetime | None:
    """When a lot expires, from the times of the events behind it (not when
    they arrived). The calendar rule counts from when the points were earned
    (an order paid in 2024 keeps its points through 2025, however late its
    event came); the rolling "N months" rule counts from when they became
    available, so a long delivery does not eat into them, and is not known
    while the lot is pending (None until ``do_activate`` sets it)."""
    if program.expiry_policy == ExpiryPolicy.MONTHS:
        return None if available_at is None else expiry_for(program, available_at)
    return expiry_for(program, earned_at)


def points_program_get_by_shop_id(shop_id: int) -> PointsProgram:
    """``points_program_get`` by shop id, for jobs that go over many shops' lots."""
    program = PointsProgram.objects.filter(shop_id=shop_id).first()
    return program if program is not None else PointsProgram(shop_id=shop_id)


def accounts_lock(
    *, shop_id: int, member_ids: list[int], create: bool = True
) -> dict[int, PointsAccount]:
    """``account_lock`` for many members: their accounts by member id, created
    if missing (unless ``create`` is false), locked in member id order (so two
    callers cannot deadlock)."""
    ids = sorted(set(member_ids))

    def locked(of: list[int]) -> dict[int, PointsAccount]:
        rows = PointsAccount.objects.select_for_update().filter(member_id__in=of)
        return {a.member_id: a for a in rows.order_by("member_id")}

    found = locked(ids)
    missing = [m for m in ids if m not in found]
    if missing and create:
        now = clock.now()
        PointsAccount.objects.bulk_create(
            [PointsAccount(shop_id=shop_id, member_id=m, updated_at=now) for m in missing],
            ignore_conflicts=True,
        )
        found.update(locked(missing))
    return found


def account_lock(*, member: Member) -> PointsAccount:
    """The member's account, created if missing, locked for this transaction."""
    account = PointsAccount.objects.select_for_update().filter(member_id=member.pk).first()
    if account is not None:
        return account
    created, _ = insert_or_first(
        lambda: PointsAccount.objects.create(
            shop_id=member.shop_id, member=member, updated_at=clock.now()
        ),
        lambda: PointsAccount.objects.select_for_update().get(member_id=member.pk),
    )
    return created


@dataclass
class Refs:
    """What an entry points at: why it exists and who or what caused it."""

    reason_code: str
    reason_params: dict[str, Any] = field(default_factory=dict)
    rule_id: int | None = None
    rule_version_id: int | None = None
    event_id: int | None = None
    order_id: int | None = None
    operator: User | None = None
    idempotency_key: str | None = None

    def entry_kwargs(self) -> dict[str, Any]:
        return {
            "reason_code": self.reason_code,
            "reason_params": self.reason_params,
            "rule_id": self.rule_id,
            "rule_version_id": self.rule_version_id,
            "event_id": self.event_id,
            "order_id": self.order_id,
            "operator": self.operator,
            "idempotency_key": self.idempotency_key,
        }


def entry_row(
    account: PointsAccount,
    *,
    kind: str,
    points: int,
    refs: Refs,
    now: dt.datetime,
    d_available: int = 0,
    d_pending: int = 0,
    d_debt: int = 0,
    d_lifetime: int = 0,
    lot: PointsLot | None = None,
) -> LedgerEntry:
    """An unsaved ledger entry; whoever saves it moves the account's balances
    by its deltas in the same transaction."""
    return LedgerEntry(
        account=account,
        kind=kind,
        points=points,
        delta_available=d_available,
        delta_pending=d_pending,
        delta_debt=d_debt,
        delta_lifetime=d_lifetime,
        lot=lot,
        created_at=now,
        **refs.entry_kwargs(),
    )


def lot_row(
    account: PointsAccount,
    *,
    points: int,
    pending: bool,
    now: dt.datetime,
    expires_at: dt.datetime | None,
    refs: Refs,
    order_id: int | None = None,
    repay: int = 0,
    earned_at: dt.datetime | None = None,
) -> PointsLot:
    """An unsaved lot of ``points``, ``repay`` of them already gone to debt,
    earned at ``earned_at`` (the event's time; default ``now``) and, unless
    pending, available from then."""
    earned_at = earned_at or now
    return PointsLot(
        account=account,
        points=points,
        remaining=points - repay,
        state=LotState.PENDING if pending else LotState.AVAILABLE,
        earned_at=earned_at,
        available_at=None if pending else earned_at,
        expires_at=expires_at,
        order_id=order_id,
        rule_version_id=refs.rule_version_id,
    )


def _write_entry(
    account: PointsAccount,
    *,
    kind: str,
    points: int,
    refs: Refs,
    d_available: int = 0,
    d_pending: int = 0,
    d_debt: int = 0,
    d_lifetime: int = 0,
    lot: PointsLot | None = None,
) -> LedgerEntry:
    now = clock.now()
    entry = entry_row(
        account,
        kind=kind,
        points=points,
        refs=refs,
        now=now,
        d_available=d_available,
        d_pending=d_pending,
        d_debt=d_debt,
        d_lifetime=d_lifetime,
        lot=lot,
    )
    entry.save(force_insert=True)
    if d_available or d_pending or d_debt or d_lifetime:
        PointsAccount.objects.filter(pk=account.pk).update(
            available=F("available") + d_available,
            pending=F("pending") + d_pending,
            debt=F("debt") + d_debt,
            lifetime_earned=F("lifetime_earned") + d_lifetime,
            updated_at=now,
        )
        account.available += d_available
        account.pending += d_pending
        account.debt += d_debt
        account.lifetime_earned += d_lifetime
    return entry


def do_credit(
    account: PointsAccount,
    *,
    points: int,
    kind: str,
    refs: Refs,
    expires_at: dt.datetime | None,
    pending: bool = False,
    lifetime: bool = True,
    order_id: int | None = None,
    earned_at: dt.datetime | None = None,
) -> tuple[LedgerEntry, PointsLot]:
    """Credit a new lot. Available credits repay debt first (recorded as a draw).

    ``earned_at`` is when the points were earned (the event's time, which may
    be in the past); the entry is dated when it is written."""
    assert points > 0
    now = clock.now()
    repay = 0 if pending else min(account.debt, points)
    lot = lot_row(
        account,
        points=points,
        pending=pending,
        now=now,
        expires_at=expires_at,
        refs=refs,
        order_id=order_id,
        repay=repay,
        earned_at=earned_at,
    )
    lot.save(force_insert=True)
    if repay:
        refs.reason_params = {**refs.reason_params, "debt_repaid": repay}
    entry = _write_entry(
        account,
        kind=kind,
        points=points,
        refs=refs,
        d_available=0 if pending else points - repay,
        d_pending=points if pending else 0,
        d_debt=-repay,
        d_lifetime=points if lifetime else 0,
        lot=lot,
    )
    if repay:
        LotDraw.objects.create(entry=entry, lot=lot, points=repay)
    return entry, lot


def _draw_available(
    account: PointsAccount, points: int, *, first: PointsLot | None = None
) -> list[tuple[PointsLot, int]]:
    """Take up to ``points`` from available lots, ``first`` then earliest expiry.

    Returns the draws; writes the lots' new remainders. Caller records the entry.
    """
    draws: list[tuple[PointsLot, int]] = []
    left = points
    if first is not None and first.state == LotState.AVAILABLE and first.remaining > 0:
        take = min(left, first.remaining)
        first.remaining -= take
        draws.append((first, take))
        left -= take
    if left > 0:
        lots = (
            PointsLot.objects.select_for_update()
            .filter(account=account, state=LotState.AVAILABLE, remaining__gt=0)
            .order_by(F("expires_at").asc(nulls_last=True), "earned_at", "id")
        )
        if first is not None:
            lots = lots.exclude(pk=first.pk)
        for lot in lots:
            take = min(left, lot.remaining)
            lot.remaining -= take
            draws.append((lot, take))
            left -= take
            if left == 0:
                break
    if draws:
        PointsLot.objects.bulk_update([lot for lot, _ in draws], ["remaining"])
    return draws


def do_debit(
    account: PointsAccount,
    *,
    points: int,
    kind: str,
    refs: Refs,
) -> LedgerEntry:
    """Spend available points, earliest expiry first; refuse if there are not enough."""
    assert points > 0
    if account.available < points:
        raise PatronError(
            ErrorCode.INSUFFICIENT_POINTS,
            lazy_format(
                _("%(points)s points needed, %(available)s available"),
                points=points,
                available=account.available,
            ),
            field="points",
        )
    draws = _draw_available(account, points)
    entry = _write_entry(account, kind=kind, points=-points, refs=refs, d_available=-points)
    LotDraw.objects.bulk_create(LotDraw(entry=entry, lot=lot, points=n) for lot, n in draws)
    return entry


def do_reverse_earning(
    account: PointsAccount,
    *,
    lot: PointsLot,
    points: int,
    refs: Refs,
    debt_policy: str,
) -> LedgerEntry:
    """Take back ``points`` that ``lot`` earned (a refund or cancellation).

    Pending: removed from the lot. Available: from the lot, then from other lots
    earliest expiry first (the member spent them), then by the debt policy:
    forgiven below zero, or recorded as debt. Expired: what expired is already
    gone, so for that part only lifetime earned goes down; what the member
    spent of the lot before it expired is taken back like spent points of an
    available lot (other lots, then the debt policy). A refund counts against
    the expired part first, so partial refunds add up to the same as one.
    """
    assert points > 0
    if lot.state in (LotState.PENDING, LotState.CANCELLED):
        assert lot.remaining >= points, "a pending lot always holds what it earned"
        lot.remaining -= points
        if lot.remaining == 0:
            lot.state = LotState.CANCELLED
        lot.save(update_fields=["remaining", "state"])
        entry = _write_entry(
            account,
            kind=EntryKind.REVERSE,
            points=-points,
            refs=refs,
            d_pending=-points,
            d_lifetime=-points,
            lot=lot,
        )
        LotDraw.objects.create(entry=entry, lot=lot, points=points)
        return entry
    gone = 0
    if lot.state == LotState.EXPIRED:
        gone = min(points, lot.expired_points - _reversed_after_expiry(lot))
        if gone:
            refs.reason_params = {**refs.reason_params, "already_expired": gone}
        draws = _draw_available(account, points - gone) if points > gone else []
    else:
        draws = _draw_available(account, points, first=lot)
    taken = sum(n for _, n in draws)
    short = points - gone - taken
    debt = short if debt_policy == DebtPolicy.ALLOW_DEBT else 0
    if short:
        refs.reason_params = {
            **refs.reason_params,
            ("debt" if debt else "forgiven"): short,
        }
    entry = _write_entry(
        account,
        kind=EntryKind.REVERSE,
        points=-points,
        refs=refs,
        d_available=-taken,
        d_debt=debt,
        d_lifetime=-points,
        lot=lot,
    )
    LotDraw.objects.bulk_create(LotDraw(entry=entry, lot=lt, points=n) for lt, n in draws)
    return entry


def _reversed_after_expiry(lot: PointsLot) -> int:
    """How much of the expired lot's expired points earlier reversals already
    counted (each records it as ``already_expired``)."""
    return sum(
        int(params.get("already_expired", 0))
        for params in LedgerEntry.objects.filter(lot=lot, kind=EntryKind.REVERSE).values_list(
            "reason_params", flat=True
        )
    )


def do_activate(
    account: PointsAccount, *, lot: PointsLot, refs: Refs, program: PointsProgram
) -> LedgerEntry | None:
    """A pending lot becomes available (repaying any debt first), as of its
    ``available_at`` (the completion's time plus the return window, however
    late the job or the event runs); a rolling expiry counts from then."""
    if lot.state != LotState.PENDING:
        return None
    points = lot.remaining
    repay = min(account.debt, points)
    lot.state = LotState.AVAILABLE if points else LotState.CANCELLED
    lot.remaining = points - repay
    lot.available_at = lot.available_at or clock.now()
    if program.expiry_policy == ExpiryPolicy.MONTHS or lot.expires_at is None:
        lot.expires_at = lot_expiry(program, earned_at=lot.earned_at, available_at=lot.available_at)
    lot.save(update_fields=["state", "remaining", "available_at", "expires_at"])
    if points == 0:
        return None
    if repay:
        refs.reason_params = {**refs.reason_params, "debt_repaid": repay}
    entry = _write_entry(
        account,
        kind=EntryKind.ACTIVATE,
        points=points,
        refs=refs,
        d_pending=-points,
        d_available=points - repay,
        d_debt=-repay,
        lot=lot,
    )
    if repay:
        LotDraw.objects.create(entry=entry, lot=lot, points=repay)
    return entry
