from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.core import services
from patron.core.errors import PatronError
from patron.core.models import ApiScope, Shop


class Command(BaseCommand):
    help = "Create an API key for a shop and print it once (only its hash is stored)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="shop name (created if missing)")
        parser.add_argument(
            "--scopes",
            default=",".join(ApiScope.values),
            help=f"comma-separated scopes; default all: {','.join(ApiScope.values)}",
        )
        parser.add_argument("--name", default="cli", help="a label for the key")

    def handle(self, *args: Any, **options: Any) -> None:
        shop, _ = Shop.objects.get_or_create(name=options["shop"])
        scopes = [s.strip() for s in options["scopes"].split(",") if s.strip()]
        try:
            created = services.api_key_create(shop=shop, name=options["name"], scopes=scopes)
        except PatronError as exc:
            raise CommandError(exc.detail_en) from None
        self.stdout.write(created.token)
