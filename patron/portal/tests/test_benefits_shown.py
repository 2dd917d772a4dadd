"""The benefits page lists only what Patron gives: every row is applied at
checkout, credited or issued by a job, or enforced on a claim."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers import member_selectors as tier_member_selectors
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def test_the_benefits_page_shows_no_benefit_that_nothing_delivers(
    shop: Shop, member: Member, member_client: Client
) -> None:
    tiers_seed_defaults(shop=shop)
    with translation.override("en"):
        labels = [
            str(row["label"]) for row in tier_member_selectors.benefits_table(member, "en")["rows"]
        ]
    assert labels == [
        "Entry threshold",
        "Points earn rate",  # points earning
        "Member discount",  # checkout
        "Free shipping",  # checkout
        "Priority shipping",  # checkout tells the shop
        "Birthday gift",  # the birthday job
        "Monthly coupons",  # campaigns' monthly job
        "Member flash sales",  # enforced on the claim
    ]
    member_client.cookies["django_language"] = "en"
    body = member_client.get("/benefits/").content.decode()
    for never_given in ("Free trials", "Member-only events", "Dedicated service"):
        assert never_given not in body
