"""Row locks in one order, and "insert, or read the first on conflict".

The lock order
--------------
A transaction that locks rows of more than one kind takes them in this order,
and rows of one kind in id order, so two transactions never wait for each
other (a deadlock, which PostgreSQL breaks by failing one of them):

1. the order (``orders.services.order_lock``, ``order_record_paid``)
2. the member's points account (``points.services.ledger.account_lock``,
   ``accounts_lock``)
3. the member (``members.services.member_lock``, ``members_lock``)
4. the member's tier row (``tiers.services.locks.member_tier_lock``,
   ``member_tiers_lock``)

This is the order of the event path (an ``order.paid`` records the order,
credits the points, then moves growth and the tier), so everything else
follows it: a redemption that spends points takes the account before the
member. Rows outside the list (a hold, a coupon, a redemption, a reward's
stock) are taken before the account when a transaction needs both.

Each app locks its own rows through these helpers; no app writes
``select_for_update`` on another app's model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

T = TypeVar("T")


def lock_rows(rows: QuerySet[Any], ids: Iterable[int]) -> None:
    """Lock the rows of ``rows`` with these primary keys until the transaction
    ends, in id order."""
    list(
        rows.select_for_update()
        .filter(pk__in=sorted(set(ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def insert_or_first(
    insert: Callable[[], T],
    first: Callable[[], T],
    *,
    then: Callable[[T], None] | None = None,
) -> tuple[T, bool]:
    """``(insert(), True)``, or ``(first(), False)`` when a unique constraint
    says another transaction inserted the row first.

    The insert runs in its own savepoint, so only it rolls back and the caller's
    transaction goes on; ``first`` then reads (and may lock) the row that won.

    ``then(row)`` is work that stands or falls with the insert: it runs in the
    same savepoint after it, so a conflict leaves nothing of it behind, and an
    ``IntegrityError`` it raises itself propagates (it is not a conflict).
    """
    conflict = False
    try:
        with transaction.atomic():
            try:
                row = insert()
            except IntegrityError:
                conflict = True
                raise
            if then is not None:
                then(row)
            return row, True
    except IntegrityError:
        if not conflict:
            raise
        return first(), False
