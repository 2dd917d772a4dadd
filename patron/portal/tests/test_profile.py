"""Profile, consent, language and the member's data download."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from patron.members.models import Member

pytestmark = pytest.mark.django_db


def test_a_bad_email_is_shown_next_to_the_field_and_the_other_input_is_kept(
    member: Member, member_client: Client
) -> None:
    response = member_client.post(
        "/me/", {"form": "profile", "name": "王大明", "email": "not-an-email", "gender": "male"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_email_error"' in body
    assert 'value="王大明"' in body
    member.refresh_from_db()
    assert member.name == "王小明"


def test_profile_and_consent_are_saved(member: Member, member_client: Client) -> None:
    member_client.post(
        "/me/",
        {
            "form": "profile",
            "name": "王大明",
            "email": "d@example.com",
            "birthday": "1990-05-01",
            "gender": "male",
        },
    )
    member_client.post("/me/messages/", {"sms.marketing": "on"})
    member.refresh_from_db()
    assert (member.name, member.email, str(member.birthday), member.gender) == (
        "王大明",
        "d@example.com",
        "1990-05-01",
        "male",
    )
    assert (member.consent_email, member.consent_sms, member.consent_in_app) == (False, True, False)


def test_language_switch_is_remembered_on_the_member_and_in_a_cookie(
    member: Member, member_client: Client
) -> None:
    assert "我的积分" in member_client.get("/").content.decode()
    response = member_client.post("/language/", {"language": "en", "next": "/points/"})
    assert response["Location"] == "/points/"
    assert response.cookies["django_language"].value == "en"
    member.refresh_from_db()
    assert member.language == "en"
    assert "My points" in member_client.get("/").content.decode()
    # A new browser picks the member's language up at sign-in.
    fresh = Client()
    fresh.post("/sign-in/", {"identifier": "13800000001", "password": "Kettle-Blossom-42"})
    assert "My points" in fresh.get("/").content.decode()


def test_language_switch_refuses_an_outside_redirect(member_client: Client) -> None:
    response = member_client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_data_export_is_json_with_the_members_own_data(
    member: Member, member_client: Client
) -> None:
    response = member_client.get("/me/data.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert 'filename="patron-member-M100.json"' in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["profile"]["member_id"] == "M100"
    assert data["profile"]["phone"] == "+8613800000001"
    assert data["consents"] == {"email": False, "sms": False, "in_app": False}
    assert data["orders"] == []
    assert data["points"]["available"] == 0
