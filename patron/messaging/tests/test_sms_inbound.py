"""POST /sms/inbound/: the gateway forwards a member's reply; a stop word
turns SMS marketing off, with the gateway's token only."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.models import ConsentChange
from patron.messaging.selectors import granted_member_ids
from patron.messaging.services import preferences_set
from patron.messaging.tests.conftest import make_member

pytestmark = pytest.mark.django_db
URL = "/sms/inbound/"
TOKEN = "in-secret"


@pytest.fixture
def opted_in(shop: Shop) -> Member:
    member = make_member(shop, 1)
    preferences_set(member=member, changes={("sms", "marketing"): True}, source="portal")
    return member


def marketing_sms(member: Member) -> bool:
    return member.pk in granted_member_ids([member.pk], channel="sms", category="marketing")


@override_settings(PATRON_SMS_INBOUND_TOKEN=TOKEN)
def test_a_stop_reply_from_the_gateway_turns_sms_marketing_off(opted_in: Member) -> None:
    answer = Client().post(
        URL,
        json.dumps({"from": "+8613800000001", "text": " 退订 "}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.status_code == 200 and answer.json() == {"unsubscribed": 1}
    assert not marketing_sms(opted_in)
    assert ConsentChange.objects.filter(source="sms_reply").count() == 1


@override_settings(PATRON_SMS_INBOUND_TOKEN=TOKEN)
def test_a_form_post_and_another_word_change_nothing(opted_in: Member) -> None:
    answer = Client().post(
        URL,
        {"from": "+8613800000001", "text": "谢谢"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert answer.json() == {"unsubscribed": 0}
    assert marketing_sms(opted_in)


@override_settings(PATRON_SMS_INBOUND_TOKEN=TOKEN)
def test_without_the_token_or_with_bad_fields_nothing_changes(opted_in: Member) -> None:
    body = json.dumps({"from": "+8613800000001", "text": "T"})
    wrong = Client().post(
        URL, body, content_type="application/json", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == "application/problem+json"
    missing = Client().post(
        URL,
        json.dumps({"text": "T"}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert missing.status_code == 422 and missing.json()["field"] == "from"
    broken = Client().post(
        URL, "{", content_type="application/json", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert broken.status_code == 400
    assert marketing_sms(opted_in)


def test_the_endpoint_is_off_without_a_token(opted_in: Member) -> None:
    answer = Client().post(URL, {"from": "+8613800000001", "text": "T"})
    assert answer.status_code == 404
    assert marketing_sms(opted_in)
