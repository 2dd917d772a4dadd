"""Writing a chunk of parsed orders set-based: ids allocated up front, rows
inserted with COPY on PostgreSQL (bulk_create elsewhere); see
``patron.orders.importing``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from psycopg import sql

from patron.core import clock
from patron.core.models import Shop
from patron.core.money import Rounding, divide
from patron.members.models import Member, RegistrationChannel
from patron.orders.import_report import ImportReport
from patron.orders.import_rows import IMPORT_REFUND_ID, ParsedOrder, S
from patron.orders.models import (
    Order,
    OrderLine,
    OrderStatusChange,
    Refund,
    RefundLine,
)
from patron.orders.services import line_goods_shares

ORDER_FIELDS = (
    "id",
    "shop_id",
    "member_id",
    "external_id",
    "status",
    "currency",
    "items_amount",
    "shipping_fee",
    "discount_amount",
    "paid_amount",
    "refunded_amount",
    "placed_at",
    "paid_at",
    "completed_at",
    "refunded_at",
    "updated_at",
)
LINE_FIELDS = (
    "id",
    "order_id",
    "line_id",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
    "paid_amount",
    "refunded_quantity",
)
HISTORY_FIELDS = ("order_id", "from_status", "to_status", "at", "note")
REFUND_FIELDS = ("id", "order_id", "external_id", "amount", "at")
REFUND_LINE_FIELDS = ("refund_id", "line_id", "quantity", "amount")


def _allocate_ids(model: type[Model], n: int) -> list[int]:
    """Primary keys for ``n`` new rows, so that child rows can point at them
    before anything is inserted (COPY returns no ids).

    PostgreSQL draws them from the table's sequence. SQLite holds the write
    lock for the whole transaction (transaction_mode IMMEDIATE), so the ids
    after the highest used one are ours.
    """
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cur.fetchall()]
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        top = cur.fetchone()[0]
        if connection.vendor == "sqlite":
            cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cur.fetchone()
            top = max(top, row[0] if row else 0)
    return list(range(top + 1, top + 1 + n))


def _insert(model: type[Model], fields: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert plain rows: COPY on PostgreSQL, bulk_create elsewhere.

    Columns not listed get their model default, so a column added later with
    a default does not break the import.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )
        return
    rest = [f for f in model._meta.concrete_fields if f.attname not in fields and not f.primary_key]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    names = [*fields, *(str(f.column) for f in rest)]
    columns = sql.SQL(", ").join([sql.Identifier(c) for c in names])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), columns
    )
    with connection.cursor() as cur, cur.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row + defaults)


def _write_chunk(shop: Shop, chunk: list[ParsedOrder], report: ImportReport) -> None:
    """Insert the chunk's new orders, their lines, members, history and refunds."""
    now = clock.now()
    with transaction.atomic():
        ids = [o.order_id for o in chunk]
        present = set(
            Order.objects.filter(shop=shop, external_id__in=ids).values_list(
                "external_id", flat=True
            )
        )
        new = [o for o in chunk if o.order_id not in present]
        skipped = [o for o in chunk if o.order_id in present]
        first_order: dict[str, dt.datetime] = {}
        for o in new:
            if o.member_id not in first_order or o.placed_at < first_order[o.member_id]:
                first_order[o.member_id] = o.placed_at
        members = {
            m.external_id: m
            for m in Member.objects.filter(shop=shop, external_id__in=list(first_order)).only(
                "pk", "external_id", "registered_at", "registration_channel"
            )
        }
        # An imported member registered no later than its earliest order.
        earlier = [
            m
            for m in members.values()
            if m.registration_channel == RegistrationChannel.IMPORT
            and first_order[m.external_id] < m.registered_at
        ]
        for m in earlier:
            m.registered_at = first_order[m.external_id]
        Member.objects.bulk_update(earlier, ["registered_at"], batch_size=1000)
        missing = [
            Member(
                shop=shop,
                external_id=ext,
                registered_at=at,
                registration_channel=RegistrationChannel.IMPORT,
                created_at=now,
                updated_at=now,
            )
            for ext, at in first_order.items()
            if ext not in members
        ]
        Member.objects.bulk_create(missing, batch_size=1000)
        members.update((m.external_id, m) for m in missing)

        order_ids = iter(_allocate_ids(Order, len(new)))
        line_ids = iter(_allocate_ids(OrderLine, sum(len(o.lines) for o in new)))
        refund_ids = iter(
            _allocate_ids(Refund, sum(o.status in (S.REFUNDED, S.PARTIALLY_REFUNDED) for o in new))
        )
        orders: list[tuple[Any, ...]] = []
        lines: list[tuple[Any, ...]] = []
        history: list[tuple[Any, ...]] = []
        refunds: list[tuple[Any, ...]] = []
        refund_lines: list[tuple[Any, ...]] = []
        for o in new:
            order_pk = next(order_ids)
            amounts = [ln.quantity * ln.unit_price for ln in o.lines]
            shares = line_goods_shares(o.paid_amount, o.shipping_fee, amounts)
            refunded_at = None
            refund_pk = None
            if o.status in (S.REFUNDED, S.PARTIALLY_REFUNDED):
                refunded_at = o.refunded_at or o.completed_at or o.paid_at or o.placed_at
                refund_pk = next(refund_ids)
            refunded_amount = 0
            for ln, share in zip(o.lines, shares, strict=True):
                line_pk = next(line_ids)
                line = (line_pk, order_pk, ln.line_id, ln.sku, ln.name, ln.category)
                lines.append((*line, ln.quantity, ln.unit_price, share, ln.refunded_quantity))
                if refund_pk is not None and ln.refunded_quantity:
                    part = divide(share * ln.refunded_quantity, ln.quantity, Rounding.DOWN)
                    refunded_amount += part
                    refund_lines.append((refund_pk, line_pk, ln.refunded_quantity, part))
            last = refunded_at or o.completed_at or o.paid_at or o.placed_at
            history.append((order_pk, "", o.status, last, "import"))
            if refund_pk is not None:
                # A full refund also returns shipping and the rounding remainder.
                if o.status == S.REFUNDED:
                    refunded_amount = o.paid_amount
                refunds.append((refund_pk, order_pk, IMPORT_REFUND_ID, refunded_amount, last))
            head = (order_pk, shop.pk, members[o.member_id].pk, o.order_id, o.status)
            money = (shop.currency, sum(amounts), o.shipping_fee, o.discount_amount, o.paid_amount)
            times = (o.placed_at, o.paid_at, o.completed_at, refunded_at, now)
            orders.append((*head, *money, refunded_amount, *times))
        _insert(Order, ORDER_FIELDS, orders)
        _insert(OrderLine, LINE_FIELDS, lines)
        _insert(OrderStatusChange, HISTORY_FIELDS, history)
        _insert(Refund, REFUND_FIELDS, refunds)
        _insert(RefundLine, REFUND_LINE_FIELDS, refund_lines)

    report.orders_imported += len(new)
    report.lines_imported += len(lines)
    report.members_created += len(missing)
    report.orders_skipped += len(skipped)
    report.lines_skipped += sum(len(o.lines) for o in skipped)


def write_chunk_retrying(shop: Shop, chunk: list[ParsedOrder], report: ImportReport) -> None:
    # A concurrent import of the same orders makes the insert fail on the
    # unique constraints; the retry then sees them as present and skips them.
    try:
        _write_chunk(shop, chunk, report)
    except IntegrityError:
        _write_chunk(shop, chunk, report)
