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
from collections.abc import Callable
from pathlib import Path
from typing import IO

from patron.core.errors import ErrorCode, PatronError
from patron.core.models import Shop
from patron.orders.import_file import BadFile, check_file, file_records, groups
from patron.orders.import_report import ImportReport, Rejects
from patron.orders.import_rows import COLUMNS, DEFAULT_ENCODING, ParsedOrder, Parser
from patron.orders.import_writing import write_chunk_retrying

__all__ = ["COLUMNS", "DEFAULT_ENCODING", "ImportReport", "orders_import"]


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
        check_file(stream, encoding)
    records = file_records(stream, encoding)
    try:
        header = [h.strip().lower() for h in next(records, (0, []))[1]]
    except BadFile as exc:
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
    parser = Parser(header, shop.currency)
    report = ImportReport()
    rejects = Rejects(rejects_path, header)
    seen: set[str] = set()
    chunk: list[ParsedOrder] = []
    try:
        for rows in groups(records, header.index("order_id")):
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
                write_chunk_retrying(shop, chunk, report)
                chunk = []
                if progress is not None:
                    progress(stream.tell())
        if chunk:
            write_chunk_retrying(shop, chunk, report)
        if progress is not None:
            progress(stream.tell())
    except BadFile as exc:
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
