"""Consent: one source of truth, every change with its source; unsubscribe link; SMS replies."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import resolve, set_script_prefix

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members import services as member_services
from patron.members.models import Member
from patron.messaging import selectors, services
from patron.messaging.consent import (
    Unsubscribe,
    unsubscribe_read,
    unsubscribe_token,
    unsubscribe_url,
)
from patron.messaging.models import ConsentChange

pytestmark = pytest.mark.django_db


def _trail(member: Member) -> list[tuple[str, str, bool, str]]:
    return [
        (c.channel, c.category, c.granted, c.source)
        for c in ConsentChange.objects.filter(member=member).order_by("pk")
    ]


def test_defaults_marketing_off_the_rest_on(member: Member) -> None:
    prefs = selectors.preferences_of(member)
    assert prefs["email"] == {"transactional": True, "service": True, "marketing": False}
    assert prefs["inapp"]["marketing"] is False


def test_shop_api_consents_write_through_messaging(shop: Shop) -> None:
    upserted = member_services.member_upsert(
        shop=shop,
        external_id="M9",
        fields={"consent_email": True, "consent_sms": False},
    )
    member = upserted.member
    assert selectors.preferences_of(member)["email"]["marketing"] is True
    assert (member.consent_email, member.consent_sms, member.consent_in_app) == (True, False, False)
    member.refresh_from_db()
    assert member.consent_email is True
    # Only the real change is recorded (sms was already off)
    assert _trail(member) == [("email", "marketing", True, "shop_api")]


def test_in_app_transactional_cannot_be_turned_off_others_can(member: Member) -> None:
    with pytest.raises(PatronError) as refused:
        services.preferences_set(
            member=member, changes={("inapp", "transactional"): False}, source="portal"
        )
    assert refused.value.field == "inapp.transactional"
    services.preferences_set(
        member=member,
        changes={("email", "transactional"): False, ("sms", "service"): False},
        source="portal",
    )
    prefs = selectors.preferences_of(member)
    assert (prefs["email"]["transactional"], prefs["sms"]["service"]) == (False, False)


@override_settings(PATRON_PUBLIC_URL="https://loyalty.example")
def test_unsubscribe_link_get_shows_a_page_and_post_unsubscribes(member: Member) -> None:
    services.preferences_set(member=member, changes={("email", "marketing"): True}, source="portal")
    url = unsubscribe_url(member_id=member.pk, channel="email", category="marketing")
    path = url.removeprefix("https://loyalty.example")
    client = Client(enforce_csrf_checks=True)

    page = client.get(path)
    assert page.status_code == 200
    assert "退订" in page.content.decode()
    assert selectors.preferences_of(member)["email"]["marketing"] is True  # GET changes nothing

    # RFC 8058 one-click: a POST with no session and no CSRF token
    done = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert selectors.preferences_of(member)["email"]["marketing"] is False
    assert _trail(member)[-1] == ("email", "marketing", False, "unsubscribe_link")
    member.refresh_from_db()
    assert member.consent_email is False


@override_settings(PATRON_PUBLIC_URL="https://loyalty.example")
def test_unsubscribe_links_follow_the_script_prefix(member: Member) -> None:
    """The link's path is reversed once per prefix, not once per member."""
    assert "/u/" in unsubscribe_url(member_id=member.pk, channel="email", category="marketing")
    set_script_prefix("/loyalty/")
    try:
        url = unsubscribe_url(member_id=member.pk, channel="email", category="marketing")
    finally:
        set_script_prefix("/")
    assert url.startswith("https://loyalty.example/loyalty/u/")
    token = url.removeprefix("https://loyalty.example/loyalty/u/").removesuffix("/")
    assert resolve(f"/u/{token}/").kwargs["token"] == token
    assert unsubscribe_read(token) == Unsubscribe(member.pk, "email", "marketing")


def test_unsubscribe_page_speaks_english_to_english_members(member: Member) -> None:
    Member.objects.filter(pk=member.pk).update(language="en")
    token = unsubscribe_token(member_id=member.pk, channel="sms", category="marketing")
    page = Client().get(f"/u/{token}/")
    assert "Unsubscribe" in page.content.decode()


def test_a_tampered_token_changes_nothing(member: Member) -> None:
    services.preferences_set(member=member, changes={("email", "marketing"): True}, source="portal")
    token = unsubscribe_token(member_id=member.pk, channel="email", category="marketing")
    response = Client().post(f"/u/{token[:-2]}xx/")
    assert response.status_code == 404
    assert selectors.preferences_of(member)["email"]["marketing"] is True


@pytest.mark.parametrize("reply", ["T", "td", " 退订 ", "STOP", "T。"])
def test_sms_stop_replies_unsubscribe_sms_marketing(member: Member, reply: str) -> None:
    services.preferences_set(member=member, changes={("sms", "marketing"): True}, source="portal")
    assert services.sms_reply_receive(phone="13800000001", text=reply) == 1
    assert selectors.preferences_of(member)["sms"]["marketing"] is False
    assert _trail(member)[-1] == ("sms", "marketing", False, "sms_reply")


def test_other_sms_replies_change_nothing(member: Member) -> None:
    services.preferences_set(member=member, changes={("sms", "marketing"): True}, source="portal")
    assert services.sms_reply_receive(phone=member.phone, text="谢谢") == 0
    assert services.sms_reply_receive(phone="not a phone", text="T") == 0
    assert selectors.preferences_of(member)["sms"]["marketing"] is True


def test_members_created_in_bulk_bring_their_flags_as_preferences(shop: Shop) -> None:
    from patron.messaging.tests.conftest import make_member

    flagged = make_member(shop, 1, consent_email=True, consent_in_app=True)
    plain = make_member(shop, 2)
    assert services.preferences_import(members=[flagged, plain], actor="demo") == 2
    assert selectors.preferences_of(flagged)["email"]["marketing"] is True
    assert selectors.preferences_of(flagged)["sms"]["marketing"] is False
    assert _trail(flagged) == [
        ("email", "marketing", True, "import"),
        ("inapp", "marketing", True, "import"),
    ]
    assert _trail(plain) == []
    # again: nothing more
    assert services.preferences_import(members=[flagged, plain]) == 0


def test_an_operator_records_a_consent_change_asked_by_phone(member: Member, staff_as: Any) -> None:
    from django.contrib.auth.models import User

    from patron.core.models import AuditLog

    staff_as("service_agent")
    staff_as("analyst")
    agent = User.objects.get(username="service_agent-staff")
    analyst = User.objects.get(username="analyst-staff")
    with pytest.raises(PatronError) as refused:
        services.preferences_set(
            member=member, changes={("sms", "service"): False}, source="console", operator=analyst
        )
    assert refused.value.status == 403
    services.preferences_set(
        member=member, changes={("sms", "service"): False}, source="console", operator=agent
    )
    change = ConsentChange.objects.get()
    assert (change.source, change.actor, change.granted) == (
        "console",
        "service_agent-staff",
        False,
    )
    assert AuditLog.objects.filter(action="messaging.preferences_set").count() == 1
