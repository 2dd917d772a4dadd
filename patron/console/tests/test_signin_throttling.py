"""Operator sign-in is throttled (django-axes) on the console and the admin,
counting the client address the trusted proxies report (issue 11, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
PAGES = ["/console/login/", "/admin/login/"]


@pytest.fixture
def operator(operators: dict[str, User]) -> User:
    user = operators["admin"]
    user.set_password("the-right-one")
    user.save()
    return user


def _post(page: str, username: str, password: str, **meta: Any) -> Any:
    client = Client()
    response: Any = client.post(page, {"username": username, "password": password}, **meta)
    response.signed_in = "_auth_user_id" in client.session
    return response


@pytest.mark.parametrize("page", PAGES)
def test_25_wrong_passwords_then_the_right_one_is_refused(page: str, operator: User) -> None:
    # given 25 wrong passwords
    for _ in range(25):
        assert not _post(page, "admin", "wrong").signed_in
    # when the right one comes
    response = _post(page, "admin", "the-right-one")
    # then the operator is still refused, with the lock-out page
    assert response.status_code == 429
    assert not response.signed_in
    assert "15" in response.content.decode()


@pytest.mark.parametrize("page", PAGES)
def test_a_few_mistakes_do_not_lock_out(page: str, operator: User, settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _post(page, "admin", "wrong")
    response = _post(page, "admin", "the-right-one")
    assert response.status_code == 302
    assert response.signed_in


def test_one_address_trying_many_names_is_locked_out(operator: User, settings: Any) -> None:
    for n in range(settings.AXES_FAILURE_LIMIT):
        _post("/console/login/", f"guess{n}", "wrong", REMOTE_ADDR="203.0.113.9")
    refused = _post("/console/login/", "admin", "the-right-one", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429
    assert not refused.signed_in


def test_clients_behind_a_trusted_proxy_are_counted_separately(
    operator: User, settings: Any
) -> None:
    settings.PATRON_TRUSTED_PROXIES = [PROXY]
    for n in range(settings.AXES_FAILURE_LIMIT + 2):
        _post(
            "/console/login/",
            f"guess{n}",
            "wrong",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="198.51.100.7",
        )
    other = _post(
        "/console/login/",
        "admin",
        "the-right-one",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert other.signed_in


def test_an_untrusted_forwarded_for_does_not_dodge_the_lock(operator: User, settings: Any) -> None:
    settings.PATRON_TRUSTED_PROXIES = [PROXY]
    for n in range(settings.AXES_FAILURE_LIMIT):
        _post(
            "/console/login/",
            f"guess{n}",
            "wrong",
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    refused = _post(
        "/console/login/",
        "admin",
        "the-right-one",
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.200",
    )
    assert not refused.signed_in
    assert refused.status_code == 429
