"""Values and files the import must refuse with a reason, never a traceback:
out-of-range numbers and dates, text the database cannot store, a file in
another encoding, and a quote left open."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.orders.models import Order, OrderLine
from patron.orders.tests.test_importing import csv_bytes, read_rejects, row, run

pytestmark = pytest.mark.django_db


def imported() -> set[str]:
    return set(Order.objects.values_list("external_id", flat=True))


def test_numbers_beyond_the_api_bounds_reject_their_order(shop: Shop, tmp_path: Path) -> None:
    rows = [
        row("OK1"),  # line 2
        row("B1", unit_price=10**20),  # 3: overflowed SQLite's integer
        row("B2", quantity=10**12),  # 4: overflows PostgreSQL's integer column
        row("B3", quantity=100_001),  # 5
        row("B4", shipping_fee=10**12 + 1, paid_amount=0),  # 6
        row("B5", unit_price="9" * 5000),  # 7: more digits than int() reads
        row("B6", refunded_quantity=10**6, status="refunded"),  # 8
        row("B7", "1", quantity=100_000, unit_price=10**12, paid_amount=0),  # 9
        row("B7", "2", quantity=1, unit_price=1, paid_amount=0),  # 10: total > 10**12
        row("OK2", quantity=100_000, unit_price=10**7, paid_amount=10**12),  # 11: at the bounds
    ]
    report = run(shop, csv_bytes(rows), tmp_path)

    assert (report.rows, report.orders_imported, report.lines_imported) == (10, 2, 2)
    assert (report.orders_rejected, report.rows_rejected) == (7, 8)
    assert imported() == {"OK1", "OK2"}
    assert OrderLine.objects.get(order__external_id="OK2").quantity == 100_000
    assert read_rejects(tmp_path) == [
        ("3", "out_of_range: unit_price 100000000000000000000 exceeds 1000000000000"),
        ("4", "bad_quantity: quantity 1000000000000 exceeds 100000"),
        ("5", "bad_quantity: quantity 100001 exceeds 100000"),
        ("6", "out_of_range: shipping_fee 1000000000001 exceeds 1000000000000"),
        ("7", "out_of_range: unit_price (5,000 digits) exceeds 1000000000000"),
        ("8", "bad_quantity: refunded_quantity 1000000 exceeds 100000"),
        ("9", "out_of_range: the lines' total 100000000000000001 exceeds 1000000000000"),
        ("10", "order_rejected: line 9 of the same order was rejected"),
    ]
    assert dict(report.reasons) == {"out_of_range": 4, "bad_quantity": 3, "order_rejected": 1}


def test_dates_outside_the_api_years_are_rejected(shop: Shop, tmp_path: Path) -> None:
    rows = [
        row("B1", placed_at="0001-01-01T00:00:00+08:00"),  # 2: overflowed converting to UTC
        row("B2", completed_at="9001-01-01T00:00:00+08:00"),  # 3
        row("B3", placed_at="1899-12-31T23:59:59Z"),  # 4
        row("B4", paid_at="2025-03-01T10:05:00"),  # 5: no offset, as before
        row("OK1"),  # 6
    ]
    report = run(shop, csv_bytes(rows), tmp_path)

    assert (report.rows, report.orders_imported, report.rows_rejected) == (5, 1, 4)
    assert imported() == {"OK1"}
    years = "must be between the years 1900 and 9000"
    assert read_rejects(tmp_path) == [
        ("2", f"bad_date: placed_at '0001-01-01T00:00:00+08:00' {years}"),
        ("3", f"bad_date: completed_at '9001-01-01T00:00:00+08:00' {years}"),
        ("4", f"bad_date: placed_at '1899-12-31T23:59:59Z' {years}"),
        ("5", "bad_date: paid_at '2025-03-01T10:05:00' has no UTC offset"),
    ]


def test_text_the_database_cannot_store_is_rejected(shop: Shop, tmp_path: Path) -> None:
    rows = [
        row("B1", "1"),  # 2
        row("B1", "2", name="龙\x00井"),  # 3
        row("B2", sku="TEA\x00"),  # 4
        row("B3", member_id="M\x001"),  # 5
        row("OK1"),  # 6
    ]
    report = run(shop, csv_bytes(rows), tmp_path)

    assert (report.rows, report.orders_imported, report.lines_imported) == (5, 1, 1)
    assert (report.orders_rejected, report.rows_rejected) == (3, 4)
    assert imported() == {"OK1"}
    unstorable = (
        "contains a NUL character or an unpaired surrogate, which the database cannot store"
    )
    assert read_rejects(tmp_path) == [
        ("2", "order_rejected: line 3 of the same order was rejected"),
        ("3", f"unstorable_text: name {unstorable}"),
        ("4", f"unstorable_text: sku {unstorable}"),
        ("5", f"unstorable_text: member_id {unstorable}"),
    ]


def test_ids_that_cannot_be_url_segments_are_rejected(shop: Shop, tmp_path: Path) -> None:
    rows = [
        row("B/1"),
        row("..", "1"),
        row("B3", member_id="M/1"),
        row("B4", member_id="."),
        row("OK1"),
    ]
    report = run(shop, csv_bytes(rows), tmp_path)

    assert (report.orders_imported, report.orders_rejected) == (1, 4)
    assert imported() == {"OK1"}
    why = "must not contain '/' nor be '.' or '..'"
    assert [
        (line, reason.split(":")[0], why in reason) for line, reason in read_rejects(tmp_path)
    ] == [
        ("2", "bad_id", True),
        ("3", "bad_id", True),
        ("4", "bad_id", True),
        ("5", "bad_id", True),
    ]


def gbk_file() -> bytes:
    # Chinese Excel saves CSV in GBK: "龙井" is not valid UTF-8 there.
    return csv_bytes([row("SO1", name="普洱"), row("SO2", name="龙井")]).decode().encode("gbk")


def test_gbk_file_is_refused_naming_the_line_before_anything_is_written(
    shop: Shop, tmp_path: Path
) -> None:
    with pytest.raises(PatronError) as exc:
        run(shop, gbk_file(), tmp_path)
    assert exc.value.detail == (
        "line 2: the file is not valid utf-8-sig (invalid continuation byte); pass its encoding "
        "with --encoding, e.g. gbk or gb18030. Nothing was imported."
    )
    assert Order.objects.count() == 0 and not (tmp_path / "rejects.csv").exists()


def test_gbk_file_imports_with_its_encoding(shop: Shop, tmp_path: Path) -> None:
    report = run(shop, gbk_file(), tmp_path, encoding="gbk")
    assert (report.orders_imported, report.rows_rejected) == (2, 0)
    assert list(
        OrderLine.objects.order_by("order__external_id").values_list("name", flat=True)
    ) == [
        "普洱",
        "龙井",
    ]


def test_command_takes_the_encoding_and_turns_a_bad_one_into_an_error(
    shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "orders.csv"
    path.write_bytes(gbk_file())
    with pytest.raises(CommandError, match=r"^line 2: the file is not valid utf-8-sig"):
        call_command("import_orders", str(path), "--shop", shop.name, "--quiet")
    with pytest.raises(CommandError, match=r"^unknown encoding 'klingon'$"):
        call_command("import_orders", str(path), "--shop", shop.name, "--encoding", "klingon")
    assert Order.objects.count() == 0
    out = io.StringIO()
    call_command(
        "import_orders", str(path), "--shop", shop.name, "--encoding", "gb18030", "--quiet",
        stdout=out,
    )  # fmt: skip
    assert out.getvalue().startswith("2 rows: 2 orders (2 lines) imported")


def test_utf8_with_a_byte_order_mark_is_read_by_default(shop: Shop, tmp_path: Path) -> None:
    report = run(shop, b"\xef\xbb\xbf" + csv_bytes([row("SO1", name="龙井")]), tmp_path)
    assert report.orders_imported == 1
    assert OrderLine.objects.get().name == "龙井"


class Unseekable(io.BytesIO):
    def seekable(self) -> bool:
        return False


def test_decoding_error_mid_stream_says_what_was_imported(shop: Shop, tmp_path: Path) -> None:
    # given a stream that cannot be checked first, whose line 4 is GBK
    data = csv_bytes([row("SO1"), row("SO2"), row("SO3", name="龙井"), row("SO4")])
    lines = data.split(b"\n")
    lines[3] = lines[3].decode().encode("gbk")
    stream = Unseekable(b"\n".join(lines))
    # when imported one order a chunk
    with pytest.raises(PatronError) as exc:
        orders_import_unseekable(shop, stream, tmp_path)
    # then the error names the line, the orders written before it (SO2 was still being
    # grouped), and the way out
    assert exc.value.detail.splitlines() == [
        "line 4: the file is not valid utf-8-sig (invalid start byte); pass its encoding with "
        "--encoding, e.g. gbk or gb18030. Imported before line 4 (the orders of the chunk being "
        "read were not): 1 rows: 1 orders (1 lines) imported, 0 orders (0 lines) already "
        "present and skipped, 0 orders (0 rows) rejected; 1 members created.",
        "Re-running the whole file with the right options is safe: orders already imported "
        "are skipped.",
    ]
    assert imported() == {"SO1"}


def orders_import_unseekable(shop: Shop, stream: io.BytesIO, tmp_path: Path) -> Any:
    from patron.orders.importing import orders_import

    return orders_import(
        shop=shop, stream=stream, rejects_path=tmp_path / "rejects.csv", batch_size=1
    )


def test_unclosed_quote_is_refused_naming_the_line(shop: Shop, tmp_path: Path) -> None:
    # given a name whose opening quote is never closed, swallowing the rest of the file
    good = csv_bytes([row(f"SO{i}") for i in range(1500)])
    header, first, *rest = good.split(b"\n")
    broken = first.replace(b",\xe9\xbe\x99\xe4\xba\x95,", b',"\xe9\xbe\x99\xe4\xba\x95,')
    assert broken != first
    path = tmp_path / "orders.csv"
    path.write_bytes(b"\n".join([header, first, broken, *rest]))
    # when
    with pytest.raises(CommandError) as exc:
        call_command("import_orders", str(path), "--shop", shop.name, "--quiet")
    # then
    assert str(exc.value) == (
        "line 3: a field is longer than 131,072 characters (read up to line 960), "
        'probably a quote (") left unclosed. Nothing was imported.'
    )
    assert Order.objects.count() == 0


@pytest.mark.postgres
def test_out_of_range_quantity_is_rejected_before_copy(shop: Shop, tmp_path: Path) -> None:
    # PostgreSQL's integer column would abort the COPY of the whole chunk.
    rows = [row("OK1"), row("B1", quantity=10**12), row("OK2")]
    report = run(shop, csv_bytes(rows), tmp_path)
    assert (report.orders_imported, report.lines_imported, report.rows_rejected) == (2, 2, 1)
    assert imported() == {"OK1", "OK2"}
    assert read_rejects(tmp_path) == [("3", "bad_quantity: quantity 1000000000000 exceeds 100000")]


@pytest.mark.postgres
def test_nul_in_text_is_rejected_before_copy(shop: Shop, tmp_path: Path) -> None:
    # COPY refuses NUL in text and would abort the whole chunk.
    rows = [row("OK1"), row("B1", name="a\x00b"), row("OK2")]
    report = run(shop, csv_bytes(rows), tmp_path)
    assert (report.orders_imported, report.rows_rejected) == (2, 1)
    assert imported() == {"OK1", "OK2"}
    assert read_rejects(tmp_path) == [
        (
            "3",
            "unstorable_text: name contains a NUL character or an unpaired surrogate, "
            "which the database cannot store",
        )
    ]
