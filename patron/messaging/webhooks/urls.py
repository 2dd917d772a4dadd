"""Which webhook URLs Patron will call (docs/decisions/webhooks.md).

Only http(s). Outside DEBUG (and unless ``PATRON_WEBHOOK_ALLOW_PRIVATE`` is
set), a URL whose host is or resolves to a loopback, private, link-local or
otherwise non-public address is refused, at subscription and again before
each delivery, so a subscription cannot make Patron probe its own network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from patron.core.errors import PatronError, validation_error
from patron.core.validation import text_problem

MAX_URL_LENGTH = 500


def private_allowed() -> bool:
    return bool(getattr(settings, "PATRON_WEBHOOK_ALLOW_PRIVATE", settings.DEBUG))


def non_public_address(host: str) -> str | None:
    """The first address ``host`` is or resolves to that is not public, if any."""
    try:
        return None if ipaddress.ip_address(host).is_global else host
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return host  # cannot be resolved: nothing public to call either
    for info in infos:
        address = str(info[4][0])
        if not ipaddress.ip_address(address.split("%")[0]).is_global:
            return address
    return None


def check_url(url: str, *, field: str = "url") -> str:
    """The URL, if Patron may POST to it; a validation error naming ``field``."""
    url = url.strip()
    if not url:
        raise validation_error(field, _("a URL is required"))
    if len(url) > MAX_URL_LENGTH or text_problem(url):
        raise validation_error(field, _("must be a URL of at most 500 characters"))
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise validation_error(field, _("is not a valid URL")) from exc
    if parts.scheme not in ("http", "https"):
        raise validation_error(field, _("must be an http:// or https:// URL"))
    if not host:
        raise validation_error(field, _("must name a host"))
    if parts.username or parts.password:
        raise validation_error(field, _("must not carry a user name or password"))
    if not private_allowed() and non_public_address(host) is not None:
        raise validation_error(
            field, _("must point at a public address (not loopback, private or link-local)")
        )
    return url


def refusal(url: str) -> str | None:
    """Why a delivery to ``url`` may not be made now, or None."""
    try:
        check_url(url)
    except PatronError as exc:
        return exc.detail_en
    return None
