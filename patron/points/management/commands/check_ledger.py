"""``patron check-ledger``: every balance equals its entries and its lots."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from patron.points.models import PointsAccount
from patron.points.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Check every points account against its ledger entries and lots; exit 1 on mismatch."

    def handle(self, *args: Any, **options: Any) -> None:
        mismatches = ledger_mismatches()
        accounts = PointsAccount.objects.count()
        if not mismatches:
            self.stdout.write(f"ledger OK: {accounts} accounts checked")
            return
        for m in mismatches[:200]:
            self.stderr.write(
                f"account {m.account_id}: {m.what}: cached {m.cached}, computed {m.computed}"
            )
        bad = len({m.account_id for m in mismatches})
        self.stderr.write(f"ledger MISMATCH: {bad} of {accounts} accounts")
        sys.exit(1)
