"""Query-count pin on the portal home page, for a member with points, a tier
and coupons: a fixed number of queries however many coupons they hold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from patron.core.models import Shop
from patron.members.models import Member
from patron.promotions.tests.conftest import give_points, issue, make_template
from patron.tiers.services.definitions import tiers_seed_defaults

# Measured on SQLite and PostgreSQL alike (the session and sign-in included;
# 15 since the navigation shows the unread messages: one indexed COUNT).
HOME_QUERIES = 15


@pytest.mark.parametrize("coupons", [1, 5])
def test_the_home_page_costs_a_fixed_number_of_queries(
    shop: Shop, member: Member, member_client: Client, coupons: int
) -> None:
    tiers_seed_defaults(shop=shop)
    give_points(member, 1200)
    for _ in range(coupons):
        issue(make_template(shop, amount=500), member)
    member_client.get("/")  # the first request of a session warms per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = member_client.get("/")
    assert response.status_code == 200
    assert len(captured.captured_queries) == HOME_QUERIES
