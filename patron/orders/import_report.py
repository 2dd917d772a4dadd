"""What an import reports: the counts and reasons, and the rejects CSV; see
``patron.orders.importing``."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any


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


class Rejects:
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
