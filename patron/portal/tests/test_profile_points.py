"""The profile form: completing the profile earns the profile-completed points once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import LedgerEntry, PointsAccount
from patron.points.tests.conftest import make_rule

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 5, 20, 4, 0, tzinfo=dt.UTC)

# The fixture member has a name, phone and e-mail; birthday and gender complete it.
COMPLETE = {
    "form": "profile",
    "name": "王小明",
    "email": "xiaoming@example.com",
    "birthday": "1990-05-01",
    "gender": "male",
}


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


@pytest.fixture
def rules(shop: Shop) -> dict[str, Any]:
    return {
        "signup": make_rule(shop, "member.registered", points=100),
        "profile": make_rule(shop, "profile.completed", name="完善资料", points=50),
    }


def entries() -> list[tuple[str, int, int | None]]:
    return list(LedgerEntry.objects.order_by("pk").values_list("reason_code", "points", "rule_id"))


def test_completing_the_profile_in_the_portal_earns_once(
    member: Member, member_client: Client, rules: dict[str, Any]
) -> None:
    # Given an incomplete profile (no birthday, no gender)
    assert member_client.post("/me/", {**COMPLETE, "gender": ""}).status_code == 302
    assert entries() == []
    # When the member fills in the rest
    response = member_client.post("/me/", COMPLETE)
    # Then the profile bonus, and the usual confirmation
    assert response.status_code == 302
    assert entries() == [("profile_completed", 50, rules["profile"].pk)]
    assert PointsAccount.objects.get(member=member).available == 50
    member.refresh_from_db()
    assert member.profile_completed_at == NOW
    assert '<span class="num plus">+50</span>' in member_client.get("/points/").content.decode()
    # Saved again, emptied and filled in again: nothing more
    member_client.post("/me/", COMPLETE)
    member_client.post("/me/", {**COMPLETE, "name": ""})
    member_client.post("/me/", COMPLETE)
    assert entries() == [("profile_completed", 50, rules["profile"].pk)]
    assert PointsAccount.objects.get(member=member).available == 50


def test_consent_and_language_changes_earn_nothing(
    member: Member, member_client: Client, rules: dict[str, Any]
) -> None:
    member_client.post("/me/messages/", {"sms.marketing": "on"})
    member_client.post("/language/", {"language": "en", "next": "/"})
    assert entries() == []
    assert not PointsAccount.objects.exists()


def test_completing_the_profile_without_rules_earns_nothing_and_fails_nothing(
    member: Member, member_client: Client
) -> None:
    response = member_client.post("/me/", COMPLETE)
    assert response.status_code == 302
    assert not LedgerEntry.objects.exists()
    member.refresh_from_db()
    assert (str(member.birthday), member.gender) == ("1990-05-01", "male")
    assert member.profile_completed_at == NOW
