"""Import benchmark: ``patron import-orders`` against a plain COPY of the same rows.

Generates a CSV of 1,000,000 order lines (about 300,000 orders of 50,000
members) times ``--scale`` in a temp dir, imports it in a subprocess (peak RSS
from ``os.wait4``), imports it again (everything skipped), and loads the same
file with ``COPY`` and with ``executemany`` INSERTs into a scratch table of the
same columns: the floor of what any importer on this database can do.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from patron.orders.importing import COLUMNS  # bench modules load after django.setup()

SHOP = "Bench Shop"
LINES = 1_000_000
MEMBERS = 50_000
RSS_TARGET_MB = 500
CST = dt.timezone(dt.timedelta(hours=8))
SCRATCH = """
CREATE TABLE bench_import_baseline (
    order_id varchar(64), member_id varchar(64), line_id varchar(64), sku varchar(64),
    name varchar(200), category varchar(100), quantity integer, unit_price bigint,
    shipping_fee bigint, discount_amount bigint, paid_amount bigint, currency varchar(3),
    status varchar(20), placed_at timestamptz, paid_at timestamptz, completed_at timestamptz,
    refunded_quantity integer
)
"""


def generate(path: Path, lines: int, members: int, seed: int = 1) -> tuple[int, int]:
    """Write the CSV; returns (orders, lines). Deterministic for a seed."""
    rng = random.Random(seed)
    skus = [
        (f"SKU-{i:04d}", f"商品 {i}", f"cat{i % 12}", rng.randrange(500, 50000)) for i in range(400)
    ]
    start = dt.datetime(2023, 1, 1, tzinfo=CST)
    span = 2 * 365 * 86400
    written = orders = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS)
        while written < lines:
            orders += 1
            n = rng.choices((1, 2, 3, 4, 5), weights=(15, 15, 20, 25, 25))[0]
            picked = rng.sample(skus, n)
            qty = [rng.choice((1, 1, 1, 2, 3)) for _ in picked]
            items = sum(q * p[3] for q, p in zip(qty, picked, strict=True))
            shipping = 0 if items >= 9900 else 800
            discount = items // 20 if rng.random() < 0.3 else 0
            paid = items + shipping - discount
            placed = start + dt.timedelta(seconds=rng.randrange(span))
            paid_at = placed + dt.timedelta(seconds=rng.randrange(30, 900))
            completed = paid_at + dt.timedelta(days=rng.randrange(2, 8))
            roll = rng.random()
            status = "refunded" if roll < 0.03 else "cancelled" if roll < 0.05 else "completed"
            refunded = status == "refunded"
            order_cols = [
                f"SO{orders:09d}",
                f"M{rng.randrange(members):07d}",
            ]
            tail = [
                shipping,
                discount,
                paid,
                "CNY",
                status,
                placed.isoformat(),
                paid_at.isoformat(),
                completed.isoformat() if status == "completed" or refunded else "",
            ]
            for i, ((sku, name, cat, price), q) in enumerate(zip(picked, qty, strict=True)):
                out.writerow(
                    [*order_cols, str(i + 1), sku, name, cat, q, price, *tail, q if refunded else 0]
                )
            written += n
    return orders, written


def import_subprocess(path: Path, *extra: str) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one ``patron import-orders`` run."""
    cmd = [
        sys.executable,
        "-m",
        "patron",
        "import-orders",
        str(path),
        "--shop",
        SHOP,
        "--quiet",
        *extra,
    ]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"import failed ({proc.returncode}): {output}")
    return took, usage.ru_maxrss / 1024, output.strip()


def baseline_copy(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_import_baseline")
        cur.execute(SCRATCH)
    raw = connection.connection
    started = time.monotonic()
    copy = "COPY bench_import_baseline FROM STDIN WITH (FORMAT csv, HEADER true)"
    with raw.cursor() as cur, cur.copy(copy) as cp, path.open("rb") as f:
        while block := f.read(1 << 20):
            cp.write(block)
    raw.commit()
    return time.monotonic() - started


def baseline_executemany(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("TRUNCATE bench_import_baseline")
    raw = connection.connection
    insert = (
        "INSERT INTO bench_import_baseline VALUES "
        "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    started = time.monotonic()
    with path.open(encoding="utf-8", newline="") as f, raw.cursor() as cur:
        reader = csv.reader(f)
        next(reader)
        batch: list[list[str | None]] = []
        for row in reader:
            batch.append([v or None for v in row])
            if len(batch) == 5000:
                cur.executemany(insert, batch)
                batch = []
        if batch:
            cur.executemany(insert, batch)
    raw.commit()
    return time.monotonic() - started


def _row(label: str, seconds: float, lines: int, import_seconds: float) -> str:
    return (
        f"| {label} | {seconds:.1f}s | {lines / seconds:,.0f} | {import_seconds / seconds:.1f}× |"
    )


def run(args: argparse.Namespace) -> str:
    from django.db import connection

    from patron.core.models import Shop
    from patron.orders.models import Order, OrderLine

    scale = args.scale
    lines_wanted = max(100, int(LINES * scale))
    members = max(10, int(MEMBERS * scale))
    Shop.objects.get_or_create(name=SHOP)
    connection.close()  # the subprocess owns the database while it imports
    with tempfile.TemporaryDirectory(prefix="patron-bench-") as tmp:
        path = Path(tmp) / "orders.csv"
        t0 = time.monotonic()
        orders, lines = generate(path, lines_wanted, members)
        gen_s = time.monotonic() - t0
        size_mb = path.stat().st_size / 1e6
        print(f"  generated {lines:,} lines / {orders:,} orders ({size_mb:.0f} MB) in {gen_s:.0f}s")

        first_s, first_rss, first_out = import_subprocess(path)
        print(f"  import: {first_s:.1f}s, peak RSS {first_rss:.0f} MB\n  {first_out}")
        assert Order.objects.count() == orders, (Order.objects.count(), orders)
        assert OrderLine.objects.count() == lines
        again_s, again_rss, again_out = import_subprocess(path)
        print(f"  re-run: {again_s:.1f}s\n  {again_out}")
        assert Order.objects.count() == orders

        copy_s = baseline_copy(path)
        print(f"  COPY: {copy_s:.1f}s")
        many_s = baseline_executemany(path)
        print(f"  executemany: {many_s:.1f}s")
        with connection.cursor() as cur:
            cur.execute("DROP TABLE bench_import_baseline")
        connection.close()

    verdict = "met" if first_rss < RSS_TARGET_MB else "**missed**"
    table = "\n".join(
        [
            "| run | time | rows/s | speed vs import |",
            "|---|---:|---:|---:|",
            _row("`patron import-orders` (first run)", first_s, lines, first_s),
            _row(f"`patron import-orders` (re-run: {orders:,} skipped)", again_s, lines, first_s),
            _row("baseline: `COPY ... FROM STDIN (FORMAT csv)`", copy_s, lines, first_s),
            _row("baseline: psycopg `executemany` INSERT, 5,000 a batch", many_s, lines, first_s),
        ]
    )
    return f"""## Order import (`patron import-orders`)

Input: {lines:,} order lines in {orders:,} orders of {members:,} members
({size_mb:.0f} MB of CSV, generated in {gen_s:.0f}s; 3% refunded, 2% cancelled). The
import runs as a subprocess (`patron import-orders FILE --quiet`, default
`--batch-size 2000`) on an empty database, so every member is created too. The
baselines load the same file into a scratch table with the same 17 columns and
no indexes or constraints: nothing validated, no members, no line shares, no
history.

{table}

Peak RSS of the import process: **{first_rss:.0f} MB** (re-run {again_rss:.0f} MB);
target under {RSS_TARGET_MB} MB: {verdict}. The import's rows/s include Django start-up
and the writes of {orders:,} orders, their lines, status history and refunds.

Import output:

```
{first_out}
```
"""
