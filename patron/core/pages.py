"""Keyset pages of a member's rows, newest first, for the shop API's lists."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def newest_first_page(
    query: QuerySet[M, Any], *, limit: int, before: int | None
) -> tuple[list[M], int | None]:
    """At most ``limit`` rows of ``query`` with an id below ``before``, newest
    first, and the cursor of the next page: the id of the last row when more
    follow, else None."""
    if before is not None:
        query = query.filter(pk__lt=before)
    rows = list(query.order_by("-pk")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].pk if more and rows else None)
