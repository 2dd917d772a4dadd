"""``patron mail-intake``: the desk's SMTP listener. Point the MX (or a
forwarding rule) of the inbox addresses at it."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from patron.service.mail.smtp import intake_controller


class Command(BaseCommand):
    help = "Receive the service desk's mail over SMTP (aiosmtpd)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=settings.PATRON_MAIL_INTAKE_HOST)
        parser.add_argument("--port", type=int, default=settings.PATRON_MAIL_INTAKE_PORT)

    def handle(self, *args: Any, **options: Any) -> None:
        controller = intake_controller(options["host"], options["port"])
        controller.start()
        self.stdout.write(f"mail-intake listening on {options['host']}:{options['port']}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
