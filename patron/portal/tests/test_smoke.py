from __future__ import annotations

import pytest
from django.test import Client

PAGES = [
    "/",
    "/benefits/",
    "/points/",
    "/tier-history/",
    "/rewards/",
    "/redemptions/",
    "/coupons/",
    "/coupons/?tab=used",
    "/coupons/claim/",
    "/check-in/",
    "/me/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_signed_in_member(member_client: Client, path: str) -> None:
    response = member_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
