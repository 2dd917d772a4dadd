"""Reads on points: balances, what expires when, history, and the ledger check."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Sum
from django.utils.translation import get_language

from patron.core import clock
from patron.core.pages import newest_first_page
from patron.members.models import Member
from patron.points.models import (
    CheckIn,
    LedgerEntry,
    LineEarning,
    LotDraw,
    LotState,
    PointsAccount,
    PointsLot,
)
from patron.points.reasons import render_reason
from patron.points.services.ledger import add_months_to_day, local_midnight


def account_get(*, member: Member) -> PointsAccount | None:
    return PointsAccount.objects.filter(member_id=member.pk).first()


def expiry_horizon(*, months: int = 12, until: dt.date | None = None) -> dt.date:
    """The last day an expiry schedule covers: ``until`` when given, else the
    same day ``months`` calendar months from today (shop time zone)."""
    if until is not None:
        return until
    return add_months_to_day(clock.today(), months)


def expiry_schedule(
    *, account: PointsAccount | None, months: int = 12, until: dt.date | None = None
) -> list[dict[str, Any]]:
    """(date, points) of available points expiring from now through the last
    day of the horizon (``expiry_horizon``): points whose last usable day is at
    most that day, the date being that last day (shop time zone). Points
    already past due wait for the expiry job and are not listed.
    """
    if account is None:
        return []
    now = clock.now()
    last_day = expiry_horizon(months=months, until=until)
    lots = PointsLot.objects.filter(
        account=account,
        state=LotState.AVAILABLE,
        remaining__gt=0,
        expires_at__gt=now,
    )
    if last_day < dt.date.max:
        lots = lots.filter(expires_at__lte=local_midnight(last_day + dt.timedelta(days=1)))
    rows = lots.values("expires_at").annotate(points=Sum("remaining")).order_by("expires_at")
    by_day: dict[dt.date, int] = {}
    for row in rows:
        expires_at = row["expires_at"]
        assert expires_at is not None
        day = clock.last_day(expires_at)
        by_day[day] = by_day.get(day, 0) + int(row["points"])
    return [{"date": day.isoformat(), "points": pts} for day, pts in sorted(by_day.items())]


def balance(
    *, member: Member, expiry_months: int = 12, expiry_until: dt.date | None = None
) -> dict[str, Any]:
    """The member's balances and what expires when, through the horizon
    (``expiry_horizon``: 12 months by default)."""
    account = account_get(member=member)
    return {
        "member": member.external_id,
        "available": account.available if account else 0,
        "pending": account.pending if account else 0,
        "debt": account.debt if account else 0,
        "lifetime_earned": account.lifetime_earned if account else 0,
        "expiring": expiry_schedule(account=account, months=expiry_months, until=expiry_until),
        "expiring_until": expiry_horizon(months=expiry_months, until=expiry_until).isoformat(),
    }


def entry_out(entry: LedgerEntry, language: str) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "kind": entry.kind,
        "points": entry.points,
        "available_change": entry.delta_available,
        "pending_change": entry.delta_pending,
        "debt_change": entry.delta_debt,
        "reason": render_reason(entry.reason_code, entry.reason_params, language),
        "reason_code": entry.reason_code,
        "reason_params": entry.reason_params,
        "rule_id": entry.rule_id,
        "rule_version": entry.rule_version.version if entry.rule_version else None,
        "order_id": entry.order.external_id if entry.order else None,
        "at": entry.created_at.isoformat(),
    }


def entries_page(
    *, member: Member, limit: int = 20, before: int | None = None, language: str = "zh-hans"
) -> dict[str, Any]:
    """Newest first; ``before`` is the id of the last entry of the previous page."""
    account = account_get(member=member)
    if account is None:
        return {"items": [], "next_before": None}
    qs = LedgerEntry.objects.filter(account=account).select_related("rule_version", "order")
    rows, next_before = newest_first_page(qs, limit=limit, before=before)
    return {"items": [entry_out(e, language) for e in rows], "next_before": next_before}


@dataclass(frozen=True)
class Mismatch:
    account_id: int
    what: str
    cached: int
    computed: int


def _t(model: Any) -> str:
    return str(model._meta.db_table)


def ledger_mismatches(*, account_ids: list[int] | None = None) -> list[Mismatch]:
    """Every account whose cached balances differ from its entries or its lots,
    and every lot whose points do not equal remaining + drawn + expired.

    Set-based: three grouped scans joined to the accounts, whatever their number.
    """
    account, entry, lot, draw = (
        _t(PointsAccount),
        _t(LedgerEntry),
        _t(PointsLot),
        _t(LotDraw),
    )
    where_ids = ""
    params: list[Any] = []
    if account_ids is not None:
        if not account_ids:
            return []
        where_ids = f"AND a.id IN ({', '.join(['%s'] * len(account_ids))})"
        params = list(account_ids)
    sql = f"""
    SELECT a.id, a.available, a.pending, a.debt, a.lifetime_earned,
           COALESCE(e.av, 0), COALESCE(e.pe, 0), COALESCE(e.de, 0), COALESCE(e.li, 0),
           COALESCE(l.av, 0), COALESCE(l.pe, 0), COALESCE(l.bad, 0)
    FROM {account} a
    LEFT JOIN (
        SELECT account_id, SUM(delta_available) av, SUM(delta_pending) pe,
               SUM(delta_debt) de, SUM(delta_lifetime) li
        FROM {entry} GROUP BY account_id
    ) e ON e.account_id = a.id
    LEFT JOIN (
        SELECT lt.account_id,
               SUM(CASE WHEN lt.state = 'available' THEN lt.remaining ELSE 0 END) av,
               SUM(CASE WHEN lt.state = 'pending' THEN lt.remaining ELSE 0 END) pe,
               SUM(CASE WHEN lt.points <> lt.remaining + lt.expired_points
                                         + COALESCE(d.drawn, 0) THEN 1 ELSE 0 END) bad
        FROM {lot} lt
        LEFT JOIN (SELECT lot_id, SUM(points) drawn FROM {draw} GROUP BY lot_id) d
               ON d.lot_id = lt.id
        GROUP BY lt.account_id
    ) l ON l.account_id = a.id
    WHERE (a.available <> COALESCE(e.av, 0) OR a.pending <> COALESCE(e.pe, 0)
        OR a.debt <> COALESCE(e.de, 0) OR a.lifetime_earned <> COALESCE(e.li, 0)
        OR a.available <> COALESCE(l.av, 0) OR a.pending <> COALESCE(l.pe, 0)
        OR COALESCE(l.bad, 0) <> 0) {where_ids}
    ORDER BY a.id
    """  # noqa: S608
    found: list[Mismatch] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            aid, av, pe, de, li, e_av, e_pe, e_de, e_li, l_av, l_pe, bad = row
            checks = [
                ("available vs entries", av, e_av),
                ("pending vs entries", pe, e_pe),
                ("debt vs entries", de, e_de),
                ("lifetime earned vs entries", li, e_li),
                ("available vs lots", av, l_av),
                ("pending vs lots", pe, l_pe),
                ("lots whose points != remaining + drawn + expired", 0, bad),
            ]
            found.extend(
                Mismatch(aid, what, int(c), int(k)) for what, c, k in checks if int(c) != int(k)
            )
    return found


def points_by_line(*, line_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(points earned, points reversed by refunds) per order line id, pending
    points included; lines that earned nothing are absent."""
    rows = (
        LineEarning.objects.filter(line_id__in=line_ids)
        .values("line_id")
        .annotate(points=Sum("points"), reversed=Sum("reversed_points"))
    )
    return {row["line_id"]: (int(row["points"]), int(row["reversed"])) for row in rows}


# --- The member's own view (portal, console) ----------------------------------------

EXPIRY_HORIZON_DAYS = 90


def member_points_summary(member: Member) -> dict[str, Any]:
    """Available and pending points, and what expires within the horizon, by day."""
    account = PointsAccount.objects.filter(member=member).first()
    if account is None:
        return {"available": 0, "pending": 0, "debt": 0, "expiring": [], "expiring_total": 0}
    horizon = clock.now() + dt.timedelta(days=EXPIRY_HORIZON_DAYS)
    by_day: dict[dt.date, int] = defaultdict(int)
    lots = PointsLot.objects.filter(
        account=account,
        state=LotState.AVAILABLE,
        remaining__gt=0,
        expires_at__isnull=False,
        expires_at__lte=horizon,
    ).values_list("expires_at", "remaining")
    for expires_at, remaining in lots:
        assert expires_at is not None  # filtered above
        # By the last day they can be used (expiry is an exclusive midnight).
        by_day[clock.last_day(expires_at)] += remaining
    expiring = sorted(by_day.items())
    return {
        "available": account.available,
        "pending": account.pending,
        "debt": account.debt,
        "lifetime_earned": account.lifetime_earned,
        "expiring": expiring,
        "expiring_total": sum(p for _, p in expiring),
    }


def entry_reason_text(entry: LedgerEntry) -> str:
    """Why this line of points history happened, in the active language."""
    return render_reason(entry.reason_code, entry.reason_params or {}, get_language() or "zh-hans")


def member_points_history(member: Member, *, limit: int = 100) -> list[dict[str, Any]]:
    entries = LedgerEntry.objects.filter(account__member=member).order_by("-created_at", "-id")
    rows = []
    for entry in entries[:limit]:
        if entry.points == 0:
            continue
        rows.append(
            {
                "at": entry.created_at,
                "points": entry.points,
                "kind": entry.kind,
                "pending": entry.delta_pending != 0 and entry.delta_available == 0,
                "reason": entry_reason_text(entry),
            }
        )
    return rows


def member_check_in_status(member: Member) -> dict[str, Any]:
    """Whether the member checked in today and the streak as it stands."""
    today = clock.today()
    recent = {
        c.day: c
        for c in CheckIn.objects.filter(member=member, day__gte=today - dt.timedelta(days=40))
    }
    latest = recent.get(today) or recent.get(today - dt.timedelta(days=1))
    streak = latest.streak if latest else 0
    week = [today - dt.timedelta(days=i) for i in range(6, -1, -1)]
    return {
        "done_today": today in recent,
        "today_points": recent[today].points if today in recent else 0,
        "streak": streak,
        "week": [{"day": d, "done": d in recent} for d in week],
    }


def member_points_export(member: Member) -> dict[str, Any]:
    """The member's points, ledger and lots, for their data download."""
    summary = member_points_summary(member)
    return {
        "available": summary["available"],
        "pending": summary["pending"],
        "ledger": list(
            LedgerEntry.objects.filter(account__member=member)
            .order_by("created_at", "id")
            .values("created_at", "kind", "points", "reason_code", "reason_params")
        ),
        "lots": list(
            PointsLot.objects.filter(account__member=member)
            .order_by("earned_at", "id")
            .values("points", "remaining", "state", "earned_at", "available_at", "expires_at")
        ),
    }
