from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from patron.core.demo import DEMO_SHOP
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.orders.importing import DEFAULT_ENCODING, orders_import


class Command(BaseCommand):
    help = (
        "Import historical orders from a CSV file, one row per order line "
        "(format: docs/import-format.md). Safe to re-run: orders already present are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument("--shop", default=DEMO_SHOP, help=f"shop name (default {DEMO_SHOP!r})")
        parser.add_argument(
            "--rejects",
            type=Path,
            default=None,
            help="where to write rejected rows (default FILE.rejects.csv; only written if any)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="orders per transaction (default 2000)"
        )
        parser.add_argument(
            "--encoding",
            default=DEFAULT_ENCODING,
            help=f"the file's text encoding, e.g. gbk or gb18030 (default {DEFAULT_ENCODING}: "
            "UTF-8, with or without a byte-order mark)",
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        shop = Shop.objects.filter(name=options["shop"]).first()
        if shop is None:
            raise CommandError(
                f"no shop named {options['shop']!r}; create it first "
                "(patron seed-demo or the admin), or pass --shop"
            )
        rejects = options["rejects"] or path.with_name(path.name + ".rejects.csv")
        size = path.stat().st_size
        bar = tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc="import",
            disable=options["quiet"] or not sys.stderr.isatty(),
        )

        def progress(position: int) -> None:
            bar.update(min(position, size) - bar.n)

        try:
            with path.open("rb") as stream:
                report = orders_import(
                    shop=shop,
                    stream=stream,
                    rejects_path=rejects,
                    batch_size=options["batch_size"],
                    encoding=options["encoding"],
                    progress=progress,
                )
        except PatronError as exc:
            raise CommandError(exc.detail) from None
        finally:
            bar.close()
        self.stdout.write(report.summary())
