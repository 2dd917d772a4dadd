from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from patron.core import services


class Command(BaseCommand):
    help = "Enqueue periodic jobs when they are due (see patron/schedule.py)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="check once and exit")
        parser.add_argument("--interval", type=float, default=30.0)

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            for name in services.schedule_tick():
                self.stdout.write(f"enqueued {name}")
            if options["once"]:
                return
            time.sleep(options["interval"])
