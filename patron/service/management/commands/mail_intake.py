"""``patron mail-intake``: the desk's SMTP listener. Point the MX (or a
forwarding rule) of the inbox addresses at it."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from patron.service.mail.smtp import serve


class Command(BaseCommand):
    help = "Receive the service desk's mail over SMTP (aiosmtpd) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.PATRON_MAIL_INTAKE_HOST)
        parser.add_argument("--port", type=int, default=settings.PATRON_MAIL_INTAKE_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        self.stdout.write(f"mail-intake listening on {options['host']}:{options['port']}")
        serve(options["host"], options["port"], stop)
