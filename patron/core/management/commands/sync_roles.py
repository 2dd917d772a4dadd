from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from patron.core import services


class Command(BaseCommand):
    help = "Create the operator role groups and give each its permissions."

    def handle(self, *args: Any, **options: Any) -> None:
        for role, count in services.roles_sync().items():
            self.stdout.write(f"{role}: {count} permissions")
