"""The import's columns and the checks of one order's rows (``patron import-orders``).

A group of consecutive rows with the same ``order_id`` becomes a ``ParsedOrder``,
or every row of it gets a reason; see ``patron.orders.importing``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import annotated_types

from patron.core.validation import check_aware, check_external_id, find_unstorable
from patron.events.schemas import Fen, Quantity
from patron.orders.models import (
    OrderStatus,
)

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
class ParsedLine:
    line_id: str
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int
    refunded_quantity: int


@dataclass
class ParsedOrder:
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
    lines: list[ParsedLine]


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


class Parser:
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

    def line(self, fields: list[str]) -> ParsedLine:
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
        return ParsedLine(
            line_id=self._text(fields, "line_id", required=True),
            sku=self._text(fields, "sku", required=True),
            name=self._text(fields, "name", required=False),
            category=self._text(fields, "category", required=False),
            quantity=quantity,
            unit_price=_fen("unit_price", self._get(fields, "unit_price")),
            refunded_quantity=refunded,
        )

    def order(self, fields: list[str], lines: list[ParsedLine]) -> ParsedOrder:
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
        order = ParsedOrder(
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

    def group(self, rows: list[Row]) -> tuple[ParsedOrder | None, list[tuple[Row, str, str]]]:
        """Parse one order's rows: (order, []) or (None, [(row, code, reason), ...])."""
        lines: list[ParsedLine] = []
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
