from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member, RegistrationChannel
from patron.orders.importing import COLUMNS, orders_import
from patron.orders.models import Order, OrderLine, OrderStatusChange, Refund, RefundLine

pytestmark = pytest.mark.django_db

CST = dt.timezone(dt.timedelta(hours=8))


def row(order_id: str, line_id: str = "1", **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "order_id": order_id,
        "member_id": "M1",
        "line_id": line_id,
        "sku": "TEA-01",
        "name": "龙井",
        "category": "tea",
        "quantity": 1,
        "unit_price": 10000,
        "shipping_fee": 0,
        "discount_amount": 0,
        "paid_amount": 10000,
        "currency": "CNY",
        "status": "completed",
        "placed_at": "2025-03-01T10:00:00+08:00",
        "paid_at": "2025-03-01T10:05:00+08:00",
        "completed_at": "2025-03-05T12:00:00+08:00",
        "refunded_quantity": 0,
    }
    base.update(over)
    return base


def csv_bytes(rows: list[dict[str, Any]], columns: tuple[str, ...] = COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run(shop: Shop, data: bytes, tmp_path: Path, **kw: Any) -> Any:
    return orders_import(
        shop=shop, stream=io.BytesIO(data), rejects_path=tmp_path / "rejects.csv", **kw
    )


def read_rejects(tmp_path: Path) -> list[tuple[str, str]]:
    with (tmp_path / "rejects.csv").open(encoding="utf-8") as f:
        return [(r["line"], r["reason"]) for r in csv.DictReader(f)]


GOOD = [
    # SO1: two lines, completed, an existing member; 20% off, shipping 1000
    row("SO1", "1", member_id="M1", quantity=2, unit_price=3000, shipping_fee=1000,
        discount_amount=2000, paid_amount=9000),
    row("SO1", "2", member_id="M1", sku="SNK-02", quantity=1, unit_price=4000,
        shipping_fee=1000, discount_amount=2000, paid_amount=9000),
    # SO2: one of two units refunded
    row("SO2", "1", member_id="M2", quantity=2, unit_price=5001, paid_amount=10001,
        status="partially_refunded", refunded_quantity=1,
        placed_at="2025-04-01T09:00:00+08:00", paid_at="2025-04-01T09:01:00+08:00",
        completed_at="2025-04-03T09:00:00+08:00"),
    # SO3: fully refunded, same new member, earlier than SO2
    row("SO3", "1", member_id="M2", quantity=1, unit_price=2000, shipping_fee=600,
        paid_amount=2600, status="refunded", refunded_quantity=1,
        placed_at="2025-02-01T09:00:00+08:00", paid_at="2025-02-01T09:02:00+08:00",
        completed_at="2025-02-04T09:00:00+08:00"),
]  # fmt: skip


def test_good_file_imports_orders_lines_refunds_and_bare_members(
    shop: Shop, tmp_path: Path
) -> None:
    # given M1 exists and M2 does not
    registered = dt.datetime(2024, 1, 1, tzinfo=CST)
    Member.objects.create(
        shop=shop, external_id="M1", registered_at=registered,
        created_at=registered, updated_at=registered,
    )  # fmt: skip
    # when
    report = run(shop, csv_bytes(GOOD), tmp_path)
    # then
    assert (report.rows, report.orders_imported, report.lines_imported) == (4, 3, 4)
    assert (report.orders_skipped, report.orders_rejected, report.members_created) == (0, 0, 1)
    assert report.rejects_path is None and not (tmp_path / "rejects.csv").exists()

    so1 = Order.objects.get(external_id="SO1")
    assert (so1.member.external_id, so1.status, so1.items_amount) == ("M1", "completed", 10000)
    assert (so1.shipping_fee, so1.discount_amount, so1.paid_amount) == (1000, 2000, 9000)
    assert so1.paid_at == dt.datetime(2025, 3, 1, 10, 5, tzinfo=CST)
    # goods paid 8000 split 6000:4000
    assert list(so1.lines.order_by("line_id").values_list("line_id", "paid_amount")) == [
        ("1", 4800),
        ("2", 3200),
    ]
    assert list(so1.history.values_list("from_status", "to_status", "note")) == [
        ("", "completed", "import")
    ]

    so2 = Order.objects.get(external_id="SO2")
    assert (so2.status, so2.refunded_amount) == ("partially_refunded", 5000)  # 10001 * 1 // 2
    assert so2.refunded_at == dt.datetime(2025, 4, 3, 9, 0, tzinfo=CST)
    so3 = Order.objects.get(external_id="SO3")
    assert (so3.status, so3.refunded_amount) == ("refunded", 2600)  # shipping returned too
    assert list(
        RefundLine.objects.order_by("refund__order__external_id").values_list(
            "refund__order__external_id", "refund__external_id", "quantity", "amount"
        )
    ) == [("SO2", "import", 1, 5000), ("SO3", "import", 1, 2000)]
    assert list(Refund.objects.order_by("amount").values_list("amount", flat=True)) == [2600, 5000]

    m2 = Member.objects.get(external_id="M2")
    assert m2.registration_channel == RegistrationChannel.IMPORT
    assert m2.registered_at == dt.datetime(2025, 2, 1, 9, 0, tzinfo=CST)  # earliest order
    assert Member.objects.get(external_id="M1").registered_at == registered


def test_rerun_skips_every_order_and_changes_nothing(shop: Shop, tmp_path: Path) -> None:
    # given the file was imported once
    data = csv_bytes(GOOD)
    run(shop, data, tmp_path)
    counts = (Order.objects.count(), OrderLine.objects.count(), Member.objects.count())
    # when it is imported again
    report = run(shop, data, tmp_path)
    # then
    assert (report.orders_imported, report.lines_imported, report.members_created) == (0, 0, 0)
    assert (report.orders_skipped, report.lines_skipped) == (3, 4)
    assert (Order.objects.count(), OrderLine.objects.count(), Member.objects.count()) == counts
    assert counts == (3, 4, 2)
    assert OrderStatusChange.objects.count() == 3 and Refund.objects.count() == 2


def test_bad_rows_reject_their_whole_order_with_the_reason(shop: Shop, tmp_path: Path) -> None:
    rows = [
        row("OK1"),  # line 2
        row("B1", quantity="two"),  # 3
        row("B2", unit_price=-5),  # 4
        row("B3", placed_at="2025-13-01T00:00:00+08:00"),  # 5
        row("B4", paid_at="2025-03-01T10:05:00"),  # 6: no offset
        row("B5", status="lost"),  # 7
        row("B6", "1"),  # 8
        row("B6", "2", shipping_fee=500),  # 9: differs from line 8
        row("B7", paid_amount=10001),  # 10: lines + shipping = 10000
        row("B8", currency="USD"),  # 11
        row("B9", "1"),  # 12
        row("B9", "1", sku="X"),  # 13: line id repeats
        row("B10", "1", quantity=2, refunded_quantity=3),  # 14
        row("B11", status="refunded"),  # 15: nothing refunded
        row("B12", "1", unit_price="12.50"),  # 16
        row("B12", "2"),  # 17: rejected with its order
        row("OK2"),  # 18
        row("OK1"),  # 19: OK1 again, after other orders
    ]
    report = run(shop, csv_bytes(rows), tmp_path)

    assert (report.rows, report.orders_imported, report.lines_imported) == (18, 2, 2)
    assert (report.orders_rejected, report.rows_rejected) == (13, 16)
    assert set(Order.objects.values_list("external_id", flat=True)) == {"OK1", "OK2"}
    assert read_rejects(tmp_path) == [
        ("3", "bad_int: quantity 'two' is not a whole number (amounts are in fen)"),
        ("4", "negative_amount: unit_price -5 is negative"),
        ("5", "bad_date: placed_at '2025-13-01T00:00:00+08:00' is not an ISO 8601 date-time"),
        ("6", "bad_date: paid_at '2025-03-01T10:05:00' has no UTC offset"),
        ("7", "unknown_status: status 'lost' is not one of "
              "paid, shipped, completed, cancelled, partially_refunded, refunded"),
        ("8", "order_rejected: line 9 of the same order was rejected"),
        ("9", "inconsistent_order: shipping_fee differs from line 8 of the same order"),
        ("10", "paid_exceeds_total: paid_amount 10001 exceeds lines plus shipping (10000)"),
        ("11", "wrong_currency: currency 'USD' is not the shop's CNY"),
        ("12", "order_rejected: line 13 of the same order was rejected"),
        ("13", "duplicate_line_id: line_id '1' repeats line 12"),
        ("14", "bad_quantity: refunded_quantity 3 exceeds quantity 2"),
        ("15", "refund_mismatch: status refunded needs every unit refunded"),
        ("16", "bad_int: unit_price '12.50' is not a whole number (amounts are in fen)"),
        ("17", "order_rejected: line 16 of the same order was rejected"),
        ("19", "order_not_consecutive: order 'OK1' appeared earlier in the file"),
    ]  # fmt: skip
    assert dict(report.reasons) == {
        "bad_int": 2,
        "negative_amount": 1,
        "bad_date": 2,
        "unknown_status": 1,
        "order_rejected": 3,
        "inconsistent_order": 1,
        "paid_exceeds_total": 1,
        "wrong_currency": 1,
        "duplicate_line_id": 1,
        "bad_quantity": 1,
        "refund_mismatch": 1,
        "order_not_consecutive": 1,
    }
    # and a second run rejects exactly the same rows and skips the good orders
    again = run(shop, csv_bytes(rows), tmp_path)
    assert (again.orders_imported, again.orders_skipped, again.rows_rejected) == (0, 2, 16)


def test_missing_column_refuses_the_file(shop: Shop, tmp_path: Path) -> None:
    columns = tuple(c for c in COLUMNS if c != "paid_at")
    data = csv_bytes([{k: v for k, v in row("SO1").items() if k != "paid_at"}], columns)
    with pytest.raises(PatronError) as exc:
        run(shop, data, tmp_path)
    assert (exc.value.detail, exc.value.field) == (
        "the header lacks the column(s) paid_at",
        "header",
    )
    assert Order.objects.count() == 0


def test_reads_the_file_in_chunks_not_whole(shop: Shop, tmp_path: Path) -> None:
    # given 600 one-line orders (~120 KB) of one member, the earliest order last
    rows = [row(f"SO{i:04d}", placed_at=f"2025-03-01T09:{i % 60:02d}:00+08:00") for i in range(599)]
    early = {
        "placed_at": "2024-06-01T08:00:00+08:00",
        "paid_at": "2024-06-01T08:01:00+08:00",
        "completed_at": "2024-06-02T08:00:00+08:00",
    }
    rows.append(row("SO9999", **early))
    data = csv_bytes(rows)
    positions: list[int] = []
    orders_at: list[int] = []

    def progress(position: int) -> None:
        positions.append(position)
        orders_at.append(Order.objects.count())

    # when imported 50 orders at a time
    report = run(shop, data, tmp_path, batch_size=50, progress=progress)
    # then each chunk was written before the rest of the file was read
    assert report.orders_imported == 600 and report.members_created == 1
    assert orders_at[:3] == [50, 100, 150] and len(positions) == 13
    assert positions[0] < len(data) // 4
    assert positions == sorted(positions) and positions[-1] == len(data)
    # and the member created in the first chunk moved back to its earliest order
    member = Member.objects.get(external_id="M1")
    assert member.registered_at == dt.datetime(2024, 6, 1, 8, 0, tzinfo=CST)


def test_command_prints_the_summary(shop: Shop, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(csv_bytes([*GOOD, row("BAD", status="lost")]))
    out = io.StringIO()
    call_command("import_orders", str(path), "--shop", shop.name, "--quiet", stdout=out)
    assert out.getvalue().splitlines() == [
        "5 rows: 3 orders (4 lines) imported, 0 orders (0 lines) already present and skipped, "
        "1 orders (1 rows) rejected; 2 members created.",
        "Rejected rows by reason: unknown_status 1",
        f"Rejected rows written to {path}.rejects.csv",
    ]
