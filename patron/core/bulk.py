"""Set-based writes the ORM makes slow.

Django's ``bulk_update`` writes one ``CASE WHEN id = ... THEN ...`` arm per
row and field; for a thousand rows building and planning that statement costs
more than the update itself. On PostgreSQL ``bulk_set`` sends
``UPDATE ... FROM (VALUES ...)`` instead: one row of typed parameters per
object. Elsewhere (SQLite) it is ``bulk_update``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model


def bulk_set(objs: list[Any], fields: list[str]) -> None:
    """Write ``fields`` of the saved ``objs`` (one model) in one statement."""
    if not objs:
        return
    model: type[Model] = type(objs[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, fields)
        return
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    columns: list[Any] = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    types = [str(f.db_type(connection)) for f in [pk, *columns]]
    row = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    params: list[Any] = []
    for obj in objs:
        params.append(pk.get_db_prep_save(obj.pk, connection))
        for c in columns:
            params.append(c.get_db_prep_save(getattr(obj, c.attname), connection))
    names = ", ".join(["pk_", *(f"v{i}" for i in range(len(columns)))])
    assignments = ", ".join(f"{qn(c.column)} = v.v{i}" for i, c in enumerate(columns))
    sql = (
        f"UPDATE {qn(meta.db_table)} AS t SET {assignments} "  # noqa: S608
        f"FROM (VALUES {', '.join([row] * len(objs))}) AS v({names}) "
        f"WHERE t.{qn(str(pk.column))} = v.pk_"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
