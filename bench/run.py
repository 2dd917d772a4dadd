"""Run the benchmarks on a fresh PostgreSQL database and rewrite docs/benchmarks.md.

    python -m bench.run [names...] [--scale S]

The database comes from DATABASE_URL when it points at PostgreSQL, else
postgres://postgres@127.0.0.1:5432/patron_bench. It is dropped and created
again, so a name without "bench" in it gets "_bench" appended: pointing
DATABASE_URL at a real database never wipes it.

Each module in BENCHES (``bench/<topic>.py``) exposes ``run(args) -> str``
returning a markdown section. docs/benchmarks.md keeps one section per module
between ``<!-- bench:topic -->`` markers; modules not run this time keep their
previous section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Other benchmark modules are added here, in the order they appear in the doc.
BENCHES: list[str] = [
    "importing",
    "checkout",
    "tiers",
    "points",
    "messaging",
    "service",
    "assistant",
]

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/patron_bench"
TITLE = "# Benchmarks\n"
INTRO = (
    "Figures from `make bench` (`python -m bench.run [names...] [--scale S]`) on a\n"
    "fresh PostgreSQL database. Each section names the run it comes from; sections\n"
    "of benchmarks not run last time are kept from their own run.\n"
)


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = DEFAULT_URL
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        name = f"{name or 'patron'}_bench"
    return urlunsplit(parts._replace(path="/" + name))


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def _load() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


def machine() -> dict[str, str]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    mem_kb = _proc("/proc/meminfo", "MemTotal").split()[0]
    ram = f"{int(mem_kb) / 1024 / 1024:.1f} GiB" if mem_kb.isdigit() else "unknown"
    return {
        "cpu": _proc("/proc/cpuinfo", "model name"),
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "postgresql": pg.split()[0],
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
    }


def _section(name: str, body: str) -> str:
    return f"<!-- bench:{name} -->\n{body.strip()}\n<!-- /bench:{name} -->\n"


def read_sections(text: str) -> dict[str, str]:
    found = re.findall(r"<!-- bench:([\w-]+) -->\n(.*?)\n<!-- /bench:\1 -->", text, re.S)
    return dict(found)


def write_doc(info: dict[str, str], new: dict[str, str]) -> None:
    old = read_sections(DOC.read_text(encoding="utf-8")) if DOC.exists() else {}
    sections = {**old, **new}
    header = (
        "## Machine of the last run\n\n"
        f"- CPU: {info['cpu']} ({info['cores']} cores)\n"
        f"- RAM: {info['ram']}\n"
        f"- Python {info['python']}, PostgreSQL {info['postgresql']}\n"
        f"- Date: {info['date']}\n"
    )
    order = [n for n in BENCHES if n in sections] + sorted(
        n for n in sections if n not in BENCHES and n != "machine"
    )
    parts = [TITLE, INTRO, _section("machine", header)]
    parts += [_section(n, sections[n]) for n in order]
    DOC.write_text("\n".join(parts), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {BENCHES})")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="data size factor; 0.05 for a quick check"
    )
    args, extra = parser.parse_known_args(argv)
    args.extra = extra
    names = args.names or BENCHES
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        parser.error(f"unknown benchmark(s) {unknown}; known: {BENCHES}")

    url = database_url()
    print(f"bench: recreating {urlsplit(url).path.lstrip('/')} ...", flush=True)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "patron.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    info = machine()
    results: dict[str, str] = {}
    for name in names:
        print(f"bench: {name} ...", flush=True)
        started = time.monotonic()
        body = importlib.import_module(f"bench.{name}").run(args)
        took = time.monotonic() - started
        stamp = (
            f"_Run {info['date']} at scale {args.scale:g} in {took:.0f}s on {info['cpu']} "
            f"({info['cores']} cores, {info['ram']}), PostgreSQL {info['postgresql']}; "
            f"load average at the end {_load()}._\n\n"
        )
        body = body.strip()
        heading, _, rest = body.partition("\n")
        results[name] = (
            f"{heading}\n\n{stamp}{rest.strip()}" if heading.startswith("#") else stamp + body
        )
        print(results[name], flush=True)
    write_doc(info, results)
    print(f"bench: wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
