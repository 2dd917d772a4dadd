"""Which address a request came from (patron.core.client)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from patron.core.client import client_address


def _address(remote: str, forwarded: str | None = None) -> str:
    meta: dict[str, Any] = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **meta))


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings: Any) -> None:
    settings.PATRON_TRUSTED_PROXIES = []
    assert _address("10.0.0.5", "198.51.100.7") == "10.0.0.5"


@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        ("10.0.0.5", "198.51.100.7", "198.51.100.7"),  # one trusted hop
        ("10.0.0.5", "192.0.2.1, 198.51.100.7", "198.51.100.7"),  # forged left part ignored
        ("10.0.0.5", "198.51.100.7, 10.0.1.9", "198.51.100.7"),  # two trusted hops (CIDR)
        ("10.0.0.5", "10.0.1.8, 10.0.1.9", "10.0.1.8"),  # only proxies: the farthest
        ("10.0.0.5", "", "10.0.0.5"),  # no header
        ("10.0.0.5", "not-an-ip", "10.0.0.5"),  # garbage from the proxy: stop at it
        ("203.0.113.9", "198.51.100.7", "203.0.113.9"),  # peer not trusted
        ("10.0.0.5", "198.51.100.7:51234", "198.51.100.7"),  # port stripped
        ("10.0.0.5", "[2001:db8::7]:443", "2001:db8::7"),
    ],
)
def test_x_forwarded_for_is_read_only_through_trusted_proxies(
    settings: Any, remote: str, forwarded: str, client: str
) -> None:
    settings.PATRON_TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    assert _address(remote, forwarded) == client
