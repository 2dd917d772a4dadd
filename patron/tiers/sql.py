"""Small helpers for the set-based jobs: INSERT .. SELECT from a queryset and
raw statements that run on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def insert_select(
    model: type[Model],
    columns: Sequence[str],
    queryset: QuerySet[Any, Any],
    *,
    on_conflict: str = "",
) -> int:
    """``INSERT INTO model (columns) SELECT ...`` with the SELECT compiled from
    ``queryset.values(...)``, whose fields must be in ``columns`` order.
    Returns the number of rows inserted."""
    select_sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(
        connection.ops.quote_name(str(model._meta.get_field(c).column))  # type: ignore[union-attr]
        for c in columns
    )
    # SQLite needs a WHERE before ON CONFLICT to parse INSERT .. SELECT .. ON CONFLICT.
    if on_conflict and " WHERE " not in select_sql:
        raise ValueError("insert_select with on_conflict needs a filtered queryset")
    sql = f"INSERT INTO {table} ({cols}) {select_sql} {on_conflict}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def execute(sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetchall(sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
