"""Serve the web app and the task worker together until interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from patron.core.demo import DEMO_ACCOUNTS_TEXT


def web_command(bindir: str, *, host: str, port: int, workers: int) -> list[str]:
    """The gunicorn command line of the web process."""
    return [
        os.path.join(bindir, "gunicorn"),
        "patron.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        # Scrubs searched phone numbers and e-mails from the access log.
        "--logger-class",
        "patron.core.access_log.GunicornLogger",
    ]


class Command(BaseCommand):
    help = "Run gunicorn (web) and the database task worker; stop both on Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, **options: Any) -> None:
        bindir = os.path.dirname(sys.executable)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "patron.settings"}
        web = web_command(
            bindir, host=options["host"], port=options["port"], workers=options["workers"]
        )
        worker = [os.path.join(bindir, "patron"), "db_worker", "--interval", "1"]
        scheduler = [os.path.join(bindir, "patron"), "scheduler"]
        procs = [subprocess.Popen(cmd, env=env) for cmd in (web, worker, scheduler)]  # noqa: S603
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(
            f"\nPatron is running at {url}/\n"
            f"  API docs:  {url}/api/docs\n  Admin:     {url}/admin/\n"
            f"  Database:  {settings.DATABASES['default']['NAME']}\n\n{DEMO_ACCOUNTS_TEXT}\n"
            "Press Ctrl-C to stop.\n"
        )
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in procs):
                time.sleep(0.5)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
