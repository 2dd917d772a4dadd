"""patron sso-secret --shop NAME [--rotate]: the secret a shop signs portal
sign-in links with (docs/decisions/portal-sso.md), printed for its developers."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.core.models import Shop
from patron.portal import services


class Command(BaseCommand):
    help = (
        "Print a shop's portal sign-in (SSO) secret, made first if it has none; "
        "--rotate replaces it (links signed with the old one stop working). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", required=True, help="the shop's name")
        parser.add_argument(
            "--rotate", action="store_true", help="replace the secret with a new one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        shop = Shop.objects.filter(name=options["shop"]).first()
        if shop is None:
            known = ", ".join(Shop.objects.order_by("name").values_list("name", flat=True))
            raise CommandError(f"no shop named {options['shop']!r} (shops: {known or 'none'})")
        via = "patron sso-secret"
        if options["rotate"]:
            secret = services.sign_in_secret_rotate(shop=shop, via=via)
            self.stderr.write(
                f"Rotated the SSO secret of {shop.name}; links signed with the old one "
                "are refused from now on."
            )
        else:
            secret = services.sign_in_secret_get(shop=shop, via=via)
        self.stdout.write(secret)
