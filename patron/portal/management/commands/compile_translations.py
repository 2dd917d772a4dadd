from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from patron.portal import translations


class Command(BaseCommand):
    help = "Compile every django.po under LOCALE_PATHS to django.mo (needs polib, not gettext)."

    def handle(self, *args: Any, **options: Any) -> None:
        for po in translations.catalogues():
            mo = translations.compile_catalogue(po)
            missing = translations.untranslated(po)
            note = f" ({len(missing)} untranslated or fuzzy)" if missing else ""
            self.stdout.write(f"{mo}{note}")
