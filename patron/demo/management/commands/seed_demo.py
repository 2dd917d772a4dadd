from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.core.demo import DEMO_ACCOUNTS_TEXT, DEMO_SHOP
from patron.demo.data import demo_is_seeded, demo_seed


class Command(BaseCommand):
    help = (
        "Load demo data: the demo shop, operator accounts, members and two years of orders. "
        "Deterministic for a given --seed (dates are relative to today's date)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing when the demo shop already has members (make run uses this)",
        )
        parser.add_argument("--members", type=int, default=1000, help="members (default 1000)")
        parser.add_argument("--orders", type=int, default=20000, help="orders (default 20000)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_is_seeded():
            if options["if_empty"]:
                if options["verbosity"] > 1:
                    self.stdout.write(f"{DEMO_SHOP!r} already has members; nothing to do.")
                return
            raise CommandError(
                f"{DEMO_SHOP!r} already has members; seed into an empty database "
                "(or pass --if-empty to skip quietly)."
            )
        if options["members"] < 1 or options["orders"] < 0:
            raise CommandError("--members must be at least 1 and --orders at least 0")
        started = time.monotonic()
        log = self.stdout.write if options["verbosity"] > 1 else (lambda _: None)
        ctx = demo_seed(
            members=options["members"],
            orders=options["orders"],
            seed=options["seed"],
            log=log,
        )
        took = time.monotonic() - started
        counts = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in ctx.summary.items())
        self.stdout.write(
            f"Seeded {DEMO_SHOP!r} in {took:.1f}s (seed {options['seed']}): {counts}.\n"
            + DEMO_ACCOUNTS_TEXT
            + "Create an API key for the shop API with the command above."
        )
