"""E-mail batches: each message is built ahead while the one before it is on
the wire (``channels.AHEAD``); outcomes must still land on the right rows."""

from __future__ import annotations

import email
from urllib.parse import urlsplit

import pytest
from django.core import mail as django_mail
from django.test import override_settings
from django.urls import resolve

from patron.core.models import Shop
from patron.messaging import channels, services
from patron.messaging.consent import unsubscribe_read
from patron.messaging.models import Message
from patron.messaging.tests.conftest import SmtpInbox, make_member

pytestmark = pytest.mark.django_db


def _newsletter(shop: Shop, count: int) -> list[int]:
    members = [make_member(shop, n, email=f"b{n}@example.com") for n in range(1, count + 1)]
    for m in members:
        services.preferences_set(
            member=m, changes={("email", "marketing"): True}, source="portal", actor="member"
        )
    services.messages_send_bulk(
        kind="test.newsletter",
        cause="campaign:ahead",
        members=members,
        context={"offer": "满100减20"},
        channels=["email"],
    )
    return [m.pk for m in members]


def test_a_batch_longer_than_the_build_window_keeps_each_outcome_on_its_message(
    smtp: SmtpInbox, shop: Shop
) -> None:
    count = channels.AHEAD * 2 + 7
    member_ids = _newsletter(shop, count)
    refused_id, unbuildable_id = member_ids[channels.AHEAD + 3], member_ids[channels.AHEAD + 5]
    smtp.refuse[f"b{member_ids.index(refused_id) + 1}@example.com"] = "550 5.1.1 No such user"
    # A header Django refuses to build (a line break in the address): that one fails.
    Message.objects.filter(member_id=unbuildable_id).update(address="x@example.com\nBcc: y@x.cn")

    assert services.messages_dispatch(batch_size=count) == {
        "sent": count - 2,
        "bounced": 1,
        "failed": 1,
    }

    rows = {m.member_id: m for m in Message.objects.filter(cause="campaign:ahead")}
    assert rows[refused_id].state == "bounced" and "550" in rows[refused_id].last_error
    assert rows[unbuildable_id].state == "failed"
    assert rows[unbuildable_id].last_error.startswith("message:")
    sent_ids = [i for i in member_ids if i not in (refused_id, unbuildable_id)]
    assert all(rows[i].state == "sent" for i in sent_ids)
    # In order, each mail to its own member with its own unsubscribe link.
    assert [r for _, r, _ in smtp.messages] == [[rows[i].address] for i in sent_ids]
    for (_, (to,), raw), member_id in zip(smtp.messages, sent_ids, strict=True):
        mime = email.message_from_bytes(raw)
        assert mime["To"] == to
        link = " ".join(str(mime["List-Unsubscribe"]).split())[1:].split(">")[0]
        match = resolve(urlsplit(link).path)
        found = unsubscribe_read(match.kwargs["token"])
        assert found is not None and found.member_id == member_id


def test_other_mail_backends_still_get_every_message(shop: Shop) -> None:
    member_ids = _newsletter(shop, channels.AHEAD + 2)
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        django_mail.outbox = []
        assert services.messages_dispatch() == {"sent": len(member_ids)}
        assert [m.to for m in django_mail.outbox] == [
            [f"b{n}@example.com"] for n in range(1, len(member_ids) + 1)
        ]
        assert all("List-Unsubscribe" in m.extra_headers for m in django_mail.outbox)
