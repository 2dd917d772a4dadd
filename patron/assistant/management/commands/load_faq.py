from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.assistant.faq import faq_parse
from patron.assistant.services import faq_load
from patron.core.demo import DEMO_SHOP
from patron.core.errors import PatronError
from patron.core.models import Shop


class Command(BaseCommand):
    help = (
        "Load a FAQ knowledge base (YAML, the format of patron/assistant/data/faq.yaml) into "
        "a shop. Safe to re-run: entries are matched by id, texts updated, phrasings added."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the FAQ YAML file")
        parser.add_argument("--shop", default=DEMO_SHOP, help=f"shop name (default {DEMO_SHOP!r})")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        shop = Shop.objects.filter(name=options["shop"]).first()
        if shop is None:
            raise CommandError(f"no shop named {options['shop']!r}; pass --shop")
        try:
            drafts = faq_parse(path.read_text(encoding="utf-8-sig"))
            loaded = faq_load(shop=shop, drafts=drafts)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text") from exc
        except PatronError as exc:
            raise CommandError(f"{path}: {exc.detail}") from exc
        self.stdout.write(
            f"{len(drafts)} entries in {path.name}: {loaded.created} created, "
            f"{loaded.updated} updated, {loaded.unchanged} unchanged, "
            f"{loaded.phrasings_added} phrasings added"
        )
