"""The portal's consent form writes through messaging, the one source of truth."""

from __future__ import annotations

from patron.members.models import Member
from patron.messaging.models import ConsentChange
from patron.portal import services as portal_services


def test_portal_consent_form_writes_through_messaging(member: Member) -> None:
    member.consent_email = member.consent_sms = member.consent_in_app = False
    member.save()
    portal_services.member_consent_set(
        member=member, consent_email=False, consent_sms=True, consent_in_app=True
    )
    member.refresh_from_db()
    assert (member.consent_sms, member.consent_in_app) == (True, True)
    trail = [
        (c.channel, c.category, c.granted, c.source)
        for c in ConsentChange.objects.filter(member=member, source="portal").order_by("pk")
    ]
    assert trail == [("sms", "marketing", True, "portal"), ("inapp", "marketing", True, "portal")]
