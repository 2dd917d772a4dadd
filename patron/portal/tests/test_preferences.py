"""The preferences page: the channel x category grid, saved through messaging
with source portal; transactional in-app shown but not switchable; the
member's recent consent changes listed."""

from __future__ import annotations

from django.test import Client

from patron.members.models import Member
from patron.messaging.models import ConsentChange
from patron.messaging.selectors import preferences_of

DEFAULT_ON = {
    "email.transactional": "on",
    "email.service": "on",
    "sms.transactional": "on",
    "sms.service": "on",
    "inapp.service": "on",
}


def test_grid_shows_defaults_and_locks_inapp_transactional(member_client: Client) -> None:
    html = member_client.get("/me/messages/").content.decode()
    assert 'name="email.marketing" data-testid="pref-email.marketing">' in html
    assert 'name="email.transactional" checked data-testid' in html
    assert 'name="inapp.transactional" checked disabled' in html
    assert "暂无更改" in html


def test_opting_in_to_marketing_email_is_saved_and_listed(
    member: Member, member_client: Client
) -> None:
    response = member_client.post("/me/messages/", {**DEFAULT_ON, "email.marketing": "on"})
    assert response.status_code == 302
    assert preferences_of(member)["email"]["marketing"] is True
    assert preferences_of(member)["sms"]["marketing"] is False
    member.refresh_from_db()
    assert member.consent_email is True  # mirrored for older readers
    trail = [
        (c.channel, c.category, c.granted, c.source, c.actor)
        for c in ConsentChange.objects.filter(member=member)
    ]
    assert trail == [("email", "marketing", True, "portal", "member")]
    html = member_client.get("/me/messages/").content.decode()
    assert 'name="email.marketing" checked' in html
    listed = html.split('data-testid="consent-changes"', 1)[1]
    assert "营销" in listed and "会员中心" in listed


def test_unticking_turns_off_and_inapp_transactional_stays_on(
    member: Member, member_client: Client
) -> None:
    # A forged post that tries to turn in-app transactional off changes nothing there
    member_client.post("/me/messages/", {"email.service": "on", "inapp.transactional": ""})
    choices = preferences_of(member)
    assert choices["inapp"]["transactional"] is True
    assert choices["email"]["transactional"] is False
    assert choices["sms"]["service"] is False
    assert choices["email"]["service"] is True


def test_saving_the_same_choices_records_nothing(member: Member, member_client: Client) -> None:
    response = member_client.post("/me/messages/", DEFAULT_ON, follow=True)
    assert "没有更改" in response.content.decode()
    assert not ConsentChange.objects.filter(member=member).exists()


def test_the_old_consent_form_post_goes_to_the_preferences_page(
    member: Member, member_client: Client
) -> None:
    response = member_client.post("/me/", {"form": "consent", "consent_sms": "on"})
    assert response["Location"] == "/me/messages/"
    assert not ConsentChange.objects.filter(member=member).exists()
    assert "/me/messages/" in member_client.get("/me/").content.decode()
