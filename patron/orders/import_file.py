"""Reading the import file: decoding line by line, CSV records with their line
numbers, the check of the whole file before writing, and the grouping of rows
into orders; see ``patron.orders.importing``."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from typing import IO

from patron.core.errors import ErrorCode, PatronError
from patron.orders.import_rows import Row


class BadFile(Exception):
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


def file_records(stream: IO[bytes], encoding: str) -> Iterator[Row]:
    """(line number, fields) of each record; raises BadFile naming the line."""
    reader = csv.reader(_text_lines(stream, encoding))
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise BadFile(
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
            raise BadFile(start, detail) from None
        yield reader.line_num, fields


def check_file(stream: IO[bytes], encoding: str) -> None:
    """Read the whole file once before writing anything, so that a decoding
    or quoting error refuses the file instead of stopping it half imported."""
    origin = stream.tell()
    try:
        for _ in file_records(stream, encoding):
            pass
    except BadFile as exc:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR, f"{exc}. Nothing was imported.", field="file"
        ) from None
    stream.seek(origin)


def groups(records: Iterator[Row], order_col: int) -> Iterator[list[Row]]:
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
