"""Portal sign-in lock-out: one account however its phone is written, and one
client address per client behind a trusted reverse proxy (issue 11, item 4)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from patron.core import clock
from patron.members.models import Member
from patron.portal import services
from patron.portal.tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"


def sign_in(identifier: str, password: str, **meta: Any) -> Any:
    return Client().post("/sign-in/", {"identifier": identifier, "password": password}, **meta)


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC))


def test_phone_variants_count_against_one_account(member: Member) -> None:
    # given five failures, each writing the member's phone differently
    variants = [
        "138 0000 0001",
        "138-0000-0001",
        "+86 138 0000 0001",
        "+8613800000001",
        "008613800000001",
    ]
    assert len(variants) == services.MAX_FAILURES_PER_ACCOUNT
    for identifier in variants:
        assert sign_in(identifier, "wrong").status_code == 200
    # when the right password comes, written yet another way
    refused = sign_in("13800000001", PASSWORD)
    # then the account is locked
    assert refused.status_code == 429


def test_e_mail_case_counts_against_one_account(member: Member) -> None:
    for identifier in ["XiaoMing@example.com", "xiaoming@EXAMPLE.COM", " xiaoming@example.com "]:
        sign_in(identifier, "wrong")
    sign_in("XIAOMING@example.com", "wrong")
    sign_in("xiaoming@Example.com", "wrong")
    assert sign_in("xiaoming@example.com", PASSWORD).status_code == 429


def _fill_address_cap(**meta: Any) -> None:
    # Distinct unknown accounts, so only the per-address cap can bite.
    for n in range(services.MAX_FAILURES_PER_ADDRESS):
        sign_in(f"1390000{n:04d}", "wrong", **meta)


def test_two_clients_behind_a_trusted_proxy_are_counted_separately(
    member: Member, settings: Any
) -> None:
    settings.PATRON_TRUSTED_PROXIES = [PROXY]
    # given one client behind the proxy spent the address cap
    _fill_address_cap(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert (
        sign_in("13900009999", "wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    ).status_code == 429
    # when another client signs in through the same proxy
    other = sign_in("13800000001", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.8")
    # then it is not locked out by the first one
    assert other.status_code == 302


def test_the_proxy_chain_is_believed_only_as_far_as_the_proxies_are_trusted(
    member: Member, settings: Any
) -> None:
    settings.PATRON_TRUSTED_PROXIES = [PROXY]
    # The client forges an entry on the left; the proxy appends the real peer.
    for n in range(services.MAX_FAILURES_PER_ADDRESS):
        sign_in(
            f"1390000{n:04d}",
            "wrong",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.7",
        )
    assert (
        sign_in("13800000001", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    ).status_code == 429


def test_an_untrusted_forwarded_for_is_ignored(member: Member, settings: Any) -> None:
    settings.PATRON_TRUSTED_PROXIES = [PROXY]
    # given a client that is not the proxy and varies X-Forwarded-For every time
    for n in range(services.MAX_FAILURES_PER_ADDRESS):
        sign_in(
            f"1390000{n:04d}",
            "wrong",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    # then all its attempts were counted against its own address
    assert (
        sign_in("13800000001", PASSWORD, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    ).status_code == 429


def test_without_trusted_proxies_the_peer_address_is_the_client(member: Member) -> None:
    _fill_address_cap(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7")
    refused = sign_in(
        "13800000001", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.8"
    )
    assert refused.status_code == 429
