"""Portal and console pages carry a Content-Security-Policy, and pages with a
member's data are kept by no cache; no template runs an inline script."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from patron.members.models import Member

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "/",
    "/me/",
    "/me/data.json",
    "/benefits/",
    "/points/",
    "/tier-history/",
    "/rewards/",
    "/redemptions/",
    "/coupons/",
    "/coupons/claim/",
    "/check-in/",
]
TEMPLATES = Path(__file__).resolve().parents[2]


def _directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def _assert_strict(response: Any) -> None:
    policy = _directives(response)
    assert policy["default-src"] == ["'self'"]
    script = policy["script-src"]
    assert script[0] == "'self'"
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert [s for s in script[1:] if not s.startswith("'nonce-")] == []
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def test_every_member_page_has_a_strict_policy_and_is_not_cached(
    member: Member, member_client: Client
) -> None:
    for path in MEMBER_PAGES:
        response = member_client.get(path)
        assert response.status_code == 200, path
        cache = {v.strip() for v in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache, (path, cache)
        if response["Content-Type"].startswith("text/html"):
            _assert_strict(response)


def test_the_nonce_is_new_for_every_response(member: Member, member_client: Client) -> None:
    first = _directives(member_client.get("/"))["script-src"][1]
    second = _directives(member_client.get("/"))["script-src"][1]
    assert first.startswith("'nonce-") and first != second


def test_pages_without_member_data_have_the_policy_too(db: Any) -> None:
    for path in ("/sign-in/", "/password-reset/", "/console/login/"):
        response = Client().get(path)
        assert response.status_code == 200, path
        _assert_strict(response)


def test_console_pages_are_not_cached(admin_user: Any, shop: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    response = client.get("/console/members/")
    assert response.status_code == 200
    _assert_strict(response)
    assert {"private", "no-store"} <= {v.strip() for v in response["Cache-Control"].split(",")}


def test_the_api_and_the_admin_keep_their_own_pages(admin_user: Any) -> None:
    client = Client()
    client.force_login(admin_user)
    assert "Content-Security-Policy" not in client.get("/admin/")
    assert "Content-Security-Policy" not in client.get("/api/docs")


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(src|nonce)=)(?![^>]*application/json)[^>]*>", re.I)
_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_template_has_an_inline_script_or_handler() -> None:
    found = []
    for template in TEMPLATES.glob("*/templates/**/*.html"):
        text = template.read_text(encoding="utf-8")
        if _INLINE_SCRIPT.search(text) or _HANDLER.search(text) or "javascript:" in text:
            found.append(str(template))
    assert found == []
    assert len(list(TEMPLATES.glob("*/templates/**/*.html"))) > 20
