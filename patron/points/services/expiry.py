"""Expiry as set-based SQL: a few statements whatever the number of lots.

A run writes one ``expire`` entry per account it takes points from (the sum,
and how many lots), and stamps each lot it expires with the run's time, which
is that entry's ``created_at``: the lots an expiry took are the account's lots
with ``expired_at`` equal to it, and each lot's ``expired_points`` says how
much. (One entry per lot cost 200,000 entry rows, and their foreign-key checks
at commit, to expire 200,000 lots; the member's history gets one line per
expiry instead of one per lot.)

On PostgreSQL one statement does it all: a data-modifying CTE expires the due
lots (``UPDATE … RETURNING``), inserts the accounts' entries from their sums
(``INSERT … SELECT``) and takes the sums off the accounts (``UPDATE … FROM``).
The accounts concerned are locked first, in id order, which is the same order
as every spend (account row, then lots), so expiry and spending queue up
instead of deadlocking. SQLite (the embedded default) gets the same steps as
separate statements (its IMMEDIATE transaction holds the write lock).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction

from patron.core import clock
from patron.points.models import LedgerEntry, PointsAccount, PointsLot

LOT = PointsLot._meta.db_table
ENTRY = LedgerEntry._meta.db_table
ACCOUNT = PointsAccount._meta.db_table

_PG_LOCK = f"""
SELECT count(*) FROM (
  SELECT a.id FROM {ACCOUNT} a
  WHERE a.id IN (
    SELECT l.account_id FROM {LOT} l
    WHERE l.state = 'available' AND l.remaining > 0 AND l.expires_at <= %(now)s
  )
  ORDER BY a.id FOR UPDATE
) locked
"""  # noqa: S608

_PG_EXPIRE = f"""
WITH due AS (
  UPDATE {LOT} SET expired_points = remaining, remaining = 0, state = 'expired',
                   expired_at = %(now)s
  WHERE state = 'available' AND remaining > 0 AND expires_at <= %(now)s
  RETURNING account_id, expired_points
), sums AS (
  SELECT account_id, SUM(expired_points) AS points, COUNT(*) AS lots
  FROM due GROUP BY account_id
), entries AS (
  INSERT INTO {ENTRY} (account_id, kind, points, delta_available, delta_pending, delta_debt,
                       delta_lifetime, reason_code, reason_params, created_at)
  SELECT account_id, 'expire', -points, -points, 0, 0, 0,
         'expire', jsonb_build_object('lots', lots), %(now)s
  FROM sums
), accounts AS (
  UPDATE {ACCOUNT} a SET available = a.available - sums.points, updated_at = %(now)s
  FROM sums WHERE a.id = sums.account_id
  RETURNING sums.lots, sums.points
)
SELECT COALESCE(SUM(lots), 0), COALESCE(SUM(points), 0) FROM accounts
"""  # noqa: S608


def lots_expire_due(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Expire every available lot whose expiry has come. Returns (lots, points)."""
    now = now or clock.now()
    at = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_LOCK, {"now": at})
            cursor.execute(_PG_EXPIRE, {"now": at})
            lots, points = cursor.fetchone()
            return int(lots), int(points)
        return _expire_portable(cursor, at)


def _expire_portable(cursor: Any, now: Any) -> tuple[int, int]:
    """The same three steps as separate statements (SQLite: the IMMEDIATE
    transaction holds the write lock, so nothing moves in between)."""
    due = "state = 'available' AND remaining > 0 AND expires_at <= %s"
    cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(remaining), 0) FROM {LOT} WHERE {due}", [now])  # noqa: S608
    lots, points = cursor.fetchone()
    if not lots:
        return 0, 0
    cursor.execute(
        f"INSERT INTO {ENTRY} (account_id, kind, points, delta_available, delta_pending, "  # noqa: S608
        f"delta_debt, delta_lifetime, reason_code, reason_params, created_at) "
        f"SELECT account_id, 'expire', -SUM(remaining), -SUM(remaining), 0, 0, 0, 'expire', "
        f"json_object('lots', COUNT(*)), %s FROM {LOT} WHERE {due} GROUP BY account_id",
        [now, now],
    )
    cursor.execute(
        f"UPDATE {ACCOUNT} SET updated_at = %s, available = available - "  # noqa: S608
        f"(SELECT SUM(remaining) FROM {LOT} WHERE {LOT}.account_id = {ACCOUNT}.id AND {due}) "
        f"WHERE id IN (SELECT account_id FROM {LOT} WHERE {due})",
        [now, now, now],
    )
    cursor.execute(
        f"UPDATE {LOT} SET expired_points = remaining, remaining = 0, state = 'expired', "  # noqa: S608
        f"expired_at = %s WHERE {due}",
        [now, now],
    )
    return int(lots), int(points)
