"""Import historical orders from CSV (``patron import-orders``).

The file is read as a stream: rows are grouped into orders (the rows of one
order are consecutive), orders into chunks of ``batch_size``, and each chunk
is written set-based (``bulk_create``) in one transaction. Memory is bounded by
the chunk, plus the ids of the orders seen so far (to catch an order whose rows
are not consecutive): about 100 bytes an order.

Re-running the same file is safe: orders already in the database (by their
unique ``(shop, external_id)``) are skipped and counted as such. A row that
fails a check rejects its whole order; every row of a rejected order goes to
the rejects CSV with its line number and reason. The format is documented in
``docs/import-format.md``.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import annotated_types
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from psycopg import sql

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.core.money import Rounding, divide
from patron.core.validation import check_aware, check_external_id, find_unstorable
from patron.events.schemas import Fen, Quantity
from patron.members.models import Member, RegistrationChannel
from patron.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundLine,
)
from patron.orders.services import line_goods_shares

S = OrderStatus
COLUMNS = (
    "order_id",
    "member_id",
    "line_id",
    "sku",
    "name",
    "category",
    "quantity",
    "unit_price",
    "shipping_fee",
    "discount_amount",
    "paid_amount",
    "currency",
    "status",
    "placed_at",
    "paid_at",
    "completed_at",
    "refunded_quantity",
)
OPTIONAL_COLUMNS = ("refunded_at",)
# Columns that describe the order, repeated on each of its lines: they must agree.
ORDER_COLUMNS = (
    "member_id",
    "shipping_fee",
    "discount_amount",
    "paid_amount",
    "currency",
    "status",
    "placed_at",
    "paid_at",
    "completed_at",
    "refunded_at",
)
STATUSES = (S.PAID, S.SHIPPED, S.COMPLETED, S.CANCELLED, S.PARTIALLY_REFUNDED, S.REFUNDED)
MAX_LENGTH = {
    "order_id": 64,
    "member_id": 64,
    "line_id": 64,
    "sku": 64,
    "name": 200,
    "category": 100,
}
IMPORT_REFUND_ID = "import"
DEFAULT_ENCODING = "utf-8-sig"


def _upper_bound(annotated: Any) -> int:
    """The ``le`` bound of an API schema's annotated int: the import accepts
    exactly the amounts and quantities the shop API accepts."""
    for info in annotated.__metadata__:
        for rule in getattr(info, "metadata", ()):
            if isinstance(rule, annotated_types.Le):
                return int(rule.le)  # type: ignore[call-overload]
    raise LookupError(f"{annotated} has no upper bound")


MAX_FEN = _upper_bound(Fen)
MAX_QUANTITY = _upper_bound(Quantity)


class Reject(Exception):
    """One row's reason: ``code`` for the summary, ``detail`` for the reader."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass
class ImportReport:
    rows: int = 0
    orders_imported: int = 0
    lines_imported: int = 0
    orders_skipped: int = 0
    lines_skipped: int = 0
    members_created: int = 0
    orders_rejected: int = 0
    rows_rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    rejects_path: Path | None = None

    def summary(self) -> str:
        text = (
            f"{self.rows:,} rows: {self.orders_imported:,} orders ({self.lines_imported:,} lines) "
            f"imported, {self.orders_skipped:,} orders ({self.lines_skipped:,} lines) already "
            f"present and skipped, {self.orders_rejected:,} orders ({self.rows_rejected:,} rows) "
            f"rejected; {self.members_created:,} members created."
        )
        if self.reasons:
            text += "\nRejected rows by reason: " + ", ".join(
                f"{code} {n:,}" for code, n in sorted(self.reasons.items())
            )
        if self.rejects_path is not None:
            text += f"\nRejected rows written to {self.rejects_path}"
        return text


@dataclass
class _Line:
    line_id: str
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int
    refunded_quantity: int


@dataclass
class _Order:
    order_id: str
    member_id: str
    shipping_fee: int
    discount_amount: int
    paid_amount: int
    status: str
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    completed_at: dt.datetime | None
    refunded_at: dt.datetime | None
    lines: list[_Line]


Row = tuple[int, list[str]]  # (line number in the file, fields)


# --- parsing -------------------------------------------------------------------


def _int(
    name: str, text: str, *, maximum: int, too_big: str = "out_of_range", empty: int | None = None
) -> int:
    """A whole number from 0 to ``maximum``; above it the reason is ``too_big``."""
    if text == "" and empty is not None:
        return empty
    body = text[1:] if text[:1] == "-" else text
    if not (body.isascii() and body.isdigit()):
        raise Reject("bad_int", f"{name} {text!r} is not a whole number (amounts are in fen)")
    # int() refuses strings of more than 4,300 digits; no valid value is that long.
    if len(body) > 4000:
        raise Reject(too_big, f"{name} ({len(body):,} digits) exceeds {maximum}")
    value = int(text)
    if value < 0:
        raise Reject("negative_amount", f"{name} {value} is negative")
    if value > maximum:
        raise Reject(too_big, f"{name} {value} exceeds {maximum}")
    return value


def _fen(name: str, text: str, *, empty: int | None = None) -> int:
    return _int(name, text, maximum=MAX_FEN, empty=empty)


def _datetime(name: str, text: str, *, required: bool) -> dt.datetime | None:
    if text == "":
        if required:
            raise Reject("missing_value", f"{name} is empty")
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Reject("bad_date", f"{name} {text!r} is not an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise Reject("bad_date", f"{name} {text!r} has no UTC offset")
    try:
        # The API's rule: an offset, and years 1900-9000 (beyond them the
        # conversion to UTC or to the database's range overflows).
        return check_aware(value)
    except ValueError as exc:
        raise Reject("bad_date", f"{name} {text!r} {exc}") from None


class _Parser:
    def __init__(self, header: list[str], currency: str) -> None:
        self.index = {name: i for i, name in enumerate(header)}
        self.width = len(header)
        self.currency = currency
        self.order_idx = [(c, self.index[c]) for c in ORDER_COLUMNS if c in self.index]

    def _get(self, fields: list[str], name: str) -> str:
        i = self.index.get(name)
        return "" if i is None else fields[i].strip()

    def _text(self, fields: list[str], name: str, *, required: bool) -> str:
        value = self._get(fields, name)
        if required and not value:
            raise Reject("missing_value", f"{name} is empty")
        if find_unstorable(value) is not None:
            raise Reject(
                "unstorable_text",
                f"{name} contains a NUL character or an unpaired surrogate, "
                "which the database cannot store",
            )
        if len(value) > MAX_LENGTH[name]:
            raise Reject("too_long", f"{name} is longer than {MAX_LENGTH[name]} characters")
        return value

    def line(self, fields: list[str]) -> _Line:
        if len(fields) != self.width:
            raise Reject("bad_row", f"expected {self.width} fields, got {len(fields)}")
        for name in ("order_id", "member_id"):
            try:
                check_external_id(self._text(fields, name, required=True))
            except ValueError as exc:
                raise Reject("bad_id", f"{name} {exc}") from None
        quantity = _int(
            "quantity", self._get(fields, "quantity"), maximum=MAX_QUANTITY, too_big="bad_quantity"
        )
        if quantity < 1:
            raise Reject("bad_quantity", "quantity must be at least 1")
        refunded = _int(
            "refunded_quantity",
            self._get(fields, "refunded_quantity"),
            maximum=MAX_QUANTITY,
            too_big="bad_quantity",
            empty=0,
        )
        if refunded > quantity:
            raise Reject(
                "bad_quantity", f"refunded_quantity {refunded} exceeds quantity {quantity}"
            )
        return _Line(
            line_id=self._text(fields, "line_id", required=True),
            sku=self._text(fields, "sku", required=True),
            name=self._text(fields, "name", required=False),
            category=self._text(fields, "category", required=False),
            quantity=quantity,
            unit_price=_fen("unit_price", self._get(fields, "unit_price")),
            refunded_quantity=refunded,
        )

    def order(self, fields: list[str], lines: list[_Line]) -> _Order:
        """The order-level values, read from the order's first row."""
        get = self._get
        status = get(fields, "status")
        if status not in STATUSES:
            raise Reject("unknown_status", f"status {status!r} is not one of {', '.join(STATUSES)}")
        currency = get(fields, "currency")
        if currency != self.currency:
            raise Reject(
                "wrong_currency", f"currency {currency!r} is not the shop's {self.currency}"
            )
        order = _Order(
            order_id=get(fields, "order_id"),
            member_id=get(fields, "member_id"),
            shipping_fee=_fen("shipping_fee", get(fields, "shipping_fee")),
            discount_amount=_fen("discount_amount", get(fields, "discount_amount"), empty=0),
            paid_amount=_fen("paid_amount", get(fields, "paid_amount")),
            status=status,
            placed_at=_datetime("placed_at", get(fields, "placed_at"), required=True),  # type: ignore[arg-type]
            paid_at=_datetime("paid_at", get(fields, "paid_at"), required=status != S.CANCELLED),
            completed_at=_datetime(
                "completed_at", get(fields, "completed_at"), required=status == S.COMPLETED
            ),
            refunded_at=_datetime("refunded_at", get(fields, "refunded_at"), required=False),
            lines=lines,
        )
        if order.paid_at is not None and order.paid_at < order.placed_at:
            raise Reject("bad_date", "paid_at is before placed_at")
        if order.completed_at is not None and order.completed_at < (
            order.paid_at or order.placed_at
        ):
            raise Reject("bad_date", "completed_at is before paid_at")
        items = sum(ln.quantity * ln.unit_price for ln in lines)
        if items > MAX_FEN:
            raise Reject("out_of_range", f"the lines' total {items} exceeds {MAX_FEN}")
        if order.paid_amount > items + order.shipping_fee:
            raise Reject(
                "paid_exceeds_total",
                f"paid_amount {order.paid_amount} exceeds lines plus shipping "
                f"({items + order.shipping_fee})",
            )
        refunded = [ln.refunded_quantity for ln in lines]
        full = all(r == ln.quantity for r, ln in zip(refunded, lines, strict=True))
        if status == S.REFUNDED and not full:
            raise Reject("refund_mismatch", "status refunded needs every unit refunded")
        if status == S.PARTIALLY_REFUNDED and (full or not any(refunded)):
            raise Reject(
                "refund_mismatch", "status partially_refunded needs some, not all, units refunded"
            )
        if status not in (S.REFUNDED, S.PARTIALLY_REFUNDED) and any(refunded):
            raise Reject("refund_mismatch", f"status {status} but refunded_quantity is set")
        return order

    def group(self, rows: list[Row]) -> tuple[_Order | None, list[tuple[Row, str, str]]]:
        """Parse one order's rows: (order, []) or (None, [(row, code, reason), ...])."""
        lines: list[_Line] = []
        failed: dict[int, Reject] = {}
        for k, (_, fields) in enumerate(rows):
            try:
                lines.append(self.line(fields))
            except Reject as exc:
                failed[k] = exc
        if not failed:
            first = rows[0][1]
            seen_ids: dict[str, int] = {}
            for k, (line_no, fields) in enumerate(rows):
                for name, i in self.order_idx:
                    if fields[i].strip() != first[i].strip():
                        failed[k] = Reject(
                            "inconsistent_order",
                            f"{name} differs from line {rows[0][0]} of the same order",
                        )
                        break
                if k in failed:
                    continue
                line_id = lines[k].line_id
                if line_id in seen_ids:
                    failed[k] = Reject(
                        "duplicate_line_id", f"line_id {line_id!r} repeats line {seen_ids[line_id]}"
                    )
                else:
                    seen_ids[line_id] = line_no
        if not failed:
            try:
                return self.order(rows[0][1], lines), []
            except Reject as exc:
                failed[0] = exc
        first_bad = rows[min(failed)][0]
        out = []
        for k, row in enumerate(rows):
            reject = failed.get(k) or Reject(
                "order_rejected", f"line {first_bad} of the same order was rejected"
            )
            out.append((row, reject.code, str(reject)))
        return None, out


class _BadFile(Exception):
    """The file cannot be read on from ``line``: wrong encoding or broken quoting."""

    def __init__(self, line: int, detail: str) -> None:
        super().__init__(f"line {line}: {detail}")
        self.line = line


# Bytes read at a time when a line is longer; the decoder carries a split character over.
_PIECE = 1 << 20
# csv splits a line at a lone CR as text files opened with newline="" do.
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


def _text_lines(stream: IO[bytes], encoding: str) -> Iterator[str]:
    """The file's lines, decoded one by one so that a decoding error is raised
    when csv asks for the line that holds it (a TextIOWrapper decodes ahead)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    while piece := stream.readline(_PIECE):
        text = decoder.decode(piece)
        if "\r" in text:
            yield from (part for part in _LONE_CR.split(text) if part)
        elif text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _records(stream: IO[bytes], encoding: str) -> Iterator[Row]:
    """(line number, fields) of each record; raises _BadFile naming the line."""
    reader = csv.reader(_text_lines(stream, encoding))
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise _BadFile(
                reader.line_num + 1,
                f"the file is not valid {encoding} ({exc.reason}); "
                "pass its encoding with --encoding, e.g. gbk or gb18030",
            ) from None
        except csv.Error as exc:
            detail = str(exc)
            if "field limit" in detail:
                detail = (
                    f"a field is longer than {csv.field_size_limit():,} characters "
                    f'(read up to line {reader.line_num}), probably a quote (") left unclosed'
                )
            raise _BadFile(start, detail) from None
        yield reader.line_num, fields


def _check_file(stream: IO[bytes], encoding: str) -> None:
    """Read the whole file once before writing anything, so that a decoding
    or quoting error refuses the file instead of stopping it half imported."""
    origin = stream.tell()
    try:
        for _ in _records(stream, encoding):
            pass
    except _BadFile as exc:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, f"{exc}. Nothing was imported.", field="file"
        ) from None
    stream.seek(origin)


def _groups(records: Iterator[Row], order_col: int) -> Iterator[list[Row]]:
    """Consecutive rows with the same order_id. Blank lines are skipped."""
    group: list[Row] = []
    key: str | None = None
    for line_no, fields in records:
        if not fields or fields == [""]:
            continue
        this = fields[order_col].strip() if order_col < len(fields) else ""
        if group and this != key:
            yield group
            group = []
        key = this
        group.append((line_no, fields))
    if group:
        yield group


# --- writing -------------------------------------------------------------------


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


def _write_chunk(shop: Shop, chunk: list[_Order], report: ImportReport) -> None:
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


def _write_chunk_retrying(shop: Shop, chunk: list[_Order], report: ImportReport) -> None:
    # A concurrent import of the same orders makes the insert fail on the
    # unique constraints; the retry then sees them as present and skips them.
    try:
        _write_chunk(shop, chunk, report)
    except IntegrityError:
        _write_chunk(shop, chunk, report)


# --- the import -------------------------------------------------------------------


class _Rejects:
    def __init__(self, path: Path, header: list[str]) -> None:
        self.path = path
        self.header = header
        self._file: IO[str] | None = None
        self._writer: Any = None

    def write(self, line_no: int, reason: str, fields: list[str]) -> None:
        if self._writer is None:
            self._file = self.path.open("w", encoding="utf-8", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(["line", "reason", *self.header])
        self._writer.writerow([line_no, reason, *fields])

    def close(self) -> bool:
        if self._file is None:
            return False
        self._file.close()
        return True


def orders_import(
    *,
    shop: Shop,
    stream: IO[bytes],
    rejects_path: Path,
    batch_size: int = 2000,
    encoding: str = DEFAULT_ENCODING,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import orders from a CSV byte stream; see ``docs/import-format.md``.

    ``progress`` is called after each chunk with the bytes read so far.
    Raises PatronError when the header lacks a required column, or the file
    cannot be decoded or parsed (checked before anything is written when the
    stream is seekable; otherwise the error says what was imported before it).
    """
    if batch_size < 1:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, "batch size must be at least 1", field="batch_size"
        )
    try:
        codecs.getincrementaldecoder(encoding)
    except LookupError:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, f"unknown encoding {encoding!r}", field="encoding"
        ) from None
    if stream.seekable():
        _check_file(stream, encoding)
    records = _records(stream, encoding)
    try:
        header = [h.strip().lower() for h in next(records, (0, []))[1]]
    except _BadFile as exc:
        raise PatronError(ErrorCode.VALIDATION_ERROR, str(exc), field="file") from None
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            f"the header lacks the column(s) {', '.join(missing)}",
            field="header",
        )
    if len(set(header)) != len(header):
        raise PatronError(ErrorCode.VALIDATION_ERROR, "a column name repeats", field="header")
    parser = _Parser(header, shop.currency)
    report = ImportReport()
    rejects = _Rejects(rejects_path, header)
    seen: set[str] = set()
    chunk: list[_Order] = []
    try:
        for rows in _groups(records, header.index("order_id")):
            report.rows += len(rows)
            order_id = rows[0][1][header.index("order_id")].strip()
            if order_id and order_id in seen:
                order = None
                reason = f"order_not_consecutive: order {order_id!r} appeared earlier in the file"
                bad = [(row, "order_not_consecutive", reason) for row in rows]
            else:
                seen.add(order_id)
                order, bad = parser.group(rows)
            if order is None:
                report.orders_rejected += 1
                report.rows_rejected += len(bad)
                for (line_no, fields), code, reason in bad:
                    report.reasons[code] += 1
                    rejects.write(line_no, reason, fields)
                continue
            chunk.append(order)
            if len(chunk) >= batch_size:
                _write_chunk_retrying(shop, chunk, report)
                chunk = []
                if progress is not None:
                    progress(stream.tell())
        if chunk:
            _write_chunk_retrying(shop, chunk, report)
        if progress is not None:
            progress(stream.tell())
    except _BadFile as exc:
        # Only when the stream could not be checked first (not seekable).
        if rejects.close():
            report.rejects_path = rejects_path
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            f"{exc}. Imported before line {exc.line} (the orders of the chunk being read "
            f"were not): {report.summary()}\nRe-running the whole file with the right "
            "options is safe: orders already imported are skipped.",
            field="file",
        ) from None
    finally:
        if rejects.close():
            report.rejects_path = rejects_path
    return report
