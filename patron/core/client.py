"""The address a request came from, for sign-in throttling.

``REMOTE_ADDR`` is the peer of the web server. Behind a reverse proxy every
request has the proxy's address there, and the client's is in
``X-Forwarded-For``, a header anyone can also send themselves. So the header is
read only when the peer is one of ``PATRON_TRUSTED_PROXIES``, and only as far
as the proxies are trusted: walking the header from the right (the entry the
nearest proxy appended), the first address that is not a trusted proxy is the
client. What a client wrote further left is never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(entries: Iterable[str]) -> list[Network]:
    """``PATRON_TRUSTED_PROXIES`` parsed: addresses or CIDR networks.

    A malformed entry is a configuration error and fails loudly here rather
    than silently trusting nothing (or everything)."""
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def _parse(text: str) -> Address | None:
    value = text.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address as the trusted proxies report it; else ``REMOTE_ADDR``."""
    remote = str(request.META.get("REMOTE_ADDR", "") or "")
    networks = trusted_networks(getattr(settings, "PATRON_TRUSTED_PROXIES", []))
    current = _parse(remote)
    if current is None or not networks:
        return remote

    def trusted(address: Address) -> bool:
        return any(address in network for network in networks)

    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", "") or "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    while trusted(current) and hops:
        nearer = _parse(hops.pop())
        if nearer is None:
            # A proxy we trust wrote something that is not an address: keep the
            # last address we can vouch for rather than guess.
            break
        current = nearer
    return str(current)
