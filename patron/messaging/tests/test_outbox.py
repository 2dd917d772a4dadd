"""The outbox and the dispatcher against a real SMTP server on loopback."""

from __future__ import annotations

import datetime as dt
import email
import re
from email.header import decode_header, make_header
from email.message import Message as MimeMessage

import pytest
from django.db import transaction
from django.test import override_settings

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import selectors, services
from patron.messaging.consent import unsubscribe_read
from patron.messaging.models import (
    Channel,
    KindSwitch,
    Message,
    MessageState,
    MessagingSettings,
    UnusableAddress,
)
from patron.messaging.tests.conftest import FakeGateway, SmtpInbox, make_member, sms_error

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)


def _subject(mime: MimeMessage) -> str:
    return str(make_header(decode_header(mime["Subject"])))


def _parts(mime: MimeMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in mime.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def _grant_marketing(member: Member, channel: str = "email") -> None:
    services.preferences_set(
        member=member, changes={(channel, "marketing"): True}, source="portal", actor="member"
    )


def _upgrade_email(member: Member, *, cause: str) -> None:
    services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause=cause,
        context={"tier": "金"},
        channels=["email"],
    )


def test_a_transactional_email_goes_out_with_text_html_and_chinese_subject(
    smtp: SmtpInbox, member: Member
) -> None:
    clock.freeze(NOON)
    messages = services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause="tier_change:1",
        context={"tier": "金卡"},
        channels=["email"],
    )
    assert [m.state for m in messages] == [MessageState.QUEUED]

    result = services.messages_dispatch()

    assert result == {"sent": 1}
    assert len(smtp.messages) == 1
    mail_from, recipients, raw = smtp.messages[0]
    assert (mail_from, recipients) == ("shop@example.com", ["m1@example.com"])
    mime = email.message_from_bytes(raw)
    assert _subject(mime) == "恭喜升级为金卡"
    parts = _parts(mime)
    assert parts["text/plain"].strip() == "王芳，您已升级为金卡。"
    assert parts["text/html"] == "<p>王芳，您已升级为<b>金卡</b>。</p>"
    # Not marketing: no unsubscribe headers.
    assert mime["List-Unsubscribe"] is None
    message = Message.objects.get()
    assert (message.state, message.attempts, message.sent_at) == (MessageState.SENT, 1, NOON)


def test_html_variables_are_escaped(smtp: SmtpInbox, shop: Shop) -> None:
    member = make_member(shop, name="<script>x</script>")
    services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause="c",
        context={"tier": "<b>"},
        channels=["email"],
    )
    services.messages_dispatch()
    parts = _parts(email.message_from_bytes(smtp.messages[0][2]))
    assert "&lt;script&gt;x&lt;/script&gt;" in parts["text/html"]
    assert "<b>&lt;b&gt;</b>" in parts["text/html"]
    assert "<script>x</script>" in parts["text/plain"]


def test_marketing_email_carries_one_click_unsubscribe_headers(
    smtp: SmtpInbox, member: Member
) -> None:
    clock.freeze(NOON)
    MessagingSettings.objects.create(shop=member.shop, unsubscribe_mailto="unsub@example.com")
    _grant_marketing(member)
    services.message_send(
        member=member,
        kind="test.newsletter",
        cause="campaign:1",
        context={"offer": "满100减20"},
        channels=["email"],
    )
    services.messages_dispatch()

    mime = email.message_from_bytes(smtp.messages[0][2])
    assert _subject(mime) == "本周优惠：满100减20"
    header = " ".join(str(mime["List-Unsubscribe"]).split())  # unfolded
    assert header.startswith("<https://loyalty.example/u/")
    assert header.endswith(", <mailto:unsub@example.com?subject=unsubscribe>")
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1 : header.index(">")]
    # the body's link was signed when the message was made, the header's when
    # it went out: the signatures may differ by their second, not by what
    # they stand for
    body_url = re.search(r"退订：(\S+)", _parts(mime)["text/plain"])
    assert body_url is not None
    in_body = unsubscribe_read(body_url.group(1).split("/u/")[1].strip("/"))
    assert in_body is not None
    assert in_body == unsubscribe_read(url.split("/u/")[1].strip("/"))
    assert in_body.member_id == member.pk
    assert (in_body.channel, in_body.category) == ("email", "marketing")


def test_the_same_cause_twice_is_one_message_and_one_mail(smtp: SmtpInbox, member: Member) -> None:
    for _ in range(2):
        with transaction.atomic():
            services.message_send(
                member=member,
                kind="test.tier_upgraded",
                cause="event:42",
                context={"tier": "金卡"},
                channels=["email"],
            )
        services.messages_dispatch()
    assert Message.objects.count() == 1
    assert len(smtp.messages) == 1


def test_marketing_without_opt_in_is_suppressed_not_dropped(
    smtp: SmtpInbox, member: Member
) -> None:
    services.message_send(
        member=member, kind="test.newsletter", cause="campaign:1", context={"offer": "x"}
    )
    rows = {m.channel: (m.state, m.reason) for m in Message.objects.all()}
    assert rows == {
        "email": ("suppressed", "consent_refused"),
        "sms": ("suppressed", "consent_refused"),
        "inapp": ("suppressed", "consent_refused"),
    }
    assert services.messages_dispatch() == {}
    assert smtp.messages == []


def test_consent_withdrawn_after_queueing_suppresses_at_dispatch(
    smtp: SmtpInbox, member: Member
) -> None:
    _grant_marketing(member)
    services.message_send(
        member=member, kind="test.newsletter", cause="c", context={"offer": "x"}, channels=["email"]
    )
    services.preferences_set(
        member=member, changes={("email", "marketing"): False}, source="portal"
    )
    assert services.messages_dispatch() == {"suppressed": 1}
    assert Message.objects.get().reason == "consent_refused"
    assert smtp.messages == []


def test_a_trigger_switched_off_and_a_missing_address_are_suppressed(shop: Shop) -> None:
    no_email = make_member(shop, 1, email="")
    KindSwitch.objects.create(
        shop=shop, kind="test.newsletter", enabled=False, updated_at=clock.now()
    )
    _upgrade_email(no_email, cause="c")
    _grant_marketing(no_email, "inapp")
    services.message_send(
        member=no_email,
        kind="test.newsletter",
        cause="c",
        context={"offer": "x"},
        channels=["inapp"],
    )
    assert {(m.kind, m.reason) for m in Message.objects.all()} == {
        ("test.tier_upgraded", "no_address"),
        ("test.newsletter", "trigger_off"),
    }


def test_marketing_caps_per_day_and_week(shop: Shop) -> None:
    # Given the default caps (1 a day, 3 a week) and an opted-in member
    clock.freeze(NOON)
    member = make_member(shop)
    _grant_marketing(member, "inapp")

    def send(cause: str) -> tuple[str, str]:
        services.message_send(
            member=member,
            kind="test.newsletter",
            cause=cause,
            context={"offer": "x"},
            channels=["inapp"],
        )
        row = Message.objects.get(cause=cause)
        return row.state, row.reason

    # Then the second of a day is capped, and the fourth of a week
    assert send("d1-a") == ("queued", "")
    assert send("d1-b") == ("suppressed", "daily_cap")
    clock.advance(dt.timedelta(days=1))
    assert send("d2") == ("queued", "")
    clock.advance(dt.timedelta(days=1))
    assert send("d3") == ("queued", "")
    clock.advance(dt.timedelta(days=1))
    assert send("d4") == ("suppressed", "weekly_cap")
    # a week after the first, the window has moved on
    clock.advance(dt.timedelta(days=4))
    assert send("d8") == ("queued", "")
    # transactional messages are not capped
    for n in range(3):
        services.message_send(
            member=member,
            kind="test.tier_upgraded",
            cause=f"t{n}",
            context={"tier": "金"},
            channels=["inapp"],
        )
    assert Message.objects.filter(kind="test.tier_upgraded", state="queued").count() == 3


def test_marketing_in_quiet_hours_waits_until_morning_across_midnight(
    smtp: SmtpInbox, shop: Shop
) -> None:
    # Given a shop in Shanghai with quiet hours 21:00-08:00 and it is 23:30 there
    MessagingSettings.objects.create(shop=shop, time_zone="Asia/Shanghai")
    member = make_member(shop)
    _grant_marketing(member)
    clock.freeze(dt.datetime(2026, 12, 3, 23, 30, tzinfo=SHANGHAI))
    services.message_send(
        member=member, kind="test.newsletter", cause="c", context={"offer": "x"}, channels=["email"]
    )
    _upgrade_email(member, cause="c")
    marketing = Message.objects.get(kind="test.newsletter")
    assert marketing.next_attempt_at == dt.datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)

    # When the dispatcher runs past midnight, the transactional one goes, the marketing waits
    clock.freeze(dt.datetime(2026, 12, 4, 0, 30, tzinfo=SHANGHAI))
    assert services.messages_dispatch() == {"sent": 1}
    assert len(smtp.messages) == 1
    clock.freeze(dt.datetime(2026, 12, 4, 7, 59, tzinfo=SHANGHAI))
    assert services.messages_dispatch() == {}
    # Then at 08:00 it goes out
    clock.freeze(dt.datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI))
    assert services.messages_dispatch() == {"sent": 1}
    assert len(smtp.messages) == 2
    marketing.refresh_from_db()
    assert marketing.state == "sent"


def test_quiet_hours_in_the_early_morning_end_the_same_day(shop: Shop) -> None:
    MessagingSettings.objects.create(shop=shop, time_zone="Asia/Shanghai")
    member = make_member(shop)
    _grant_marketing(member, "inapp")
    clock.freeze(dt.datetime(2026, 12, 4, 6, 15, tzinfo=SHANGHAI))
    services.message_send(
        member=member, kind="test.newsletter", cause="c", context={"offer": "x"}, channels=["inapp"]
    )
    assert Message.objects.get().next_attempt_at == dt.datetime(2026, 12, 4, 8, 0, tzinfo=SHANGHAI)


def test_smtp_550_bounces_and_marks_the_address_unusable(smtp: SmtpInbox, shop: Shop) -> None:
    bad = make_member(shop, 1, email="gone@example.com")
    good = make_member(shop, 2)
    smtp.refuse["gone@example.com"] = "550 5.1.1 No such user"
    services.messages_send_bulk(
        kind="test.tier_upgraded",
        cause="c1",
        members=[bad, good],
        context={"tier": "金"},
        channels=["email"],
    )

    assert services.messages_dispatch() == {"bounced": 1, "sent": 1}

    bounced = Message.objects.get(member=bad)
    assert (bounced.state, bounced.attempts) == ("bounced", 1)
    assert "550" in bounced.last_error
    assert UnusableAddress.objects.filter(channel="email", address="gone@example.com").exists()
    assert [r for _, r, _ in smtp.messages] == [["m2@example.com"]]
    # and a later message to that address is suppressed at once
    _upgrade_email(bad, cause="c2")
    assert Message.objects.get(cause="c2").reason == "address_unusable"


@override_settings(PATRON_MESSAGING_MAX_ATTEMPTS=3, PATRON_MESSAGING_RETRY_SECONDS=60)
def test_transient_failures_retry_with_backoff_then_fail(smtp: SmtpInbox, member: Member) -> None:
    clock.freeze(NOON)
    smtp.refuse[member.email] = "451 4.3.0 Try again later"
    _upgrade_email(member, cause="c")
    assert services.messages_dispatch() == {"retry": 1}
    message = Message.objects.get()
    assert (message.state, message.attempts) == ("queued", 1)
    assert message.next_attempt_at == NOON + dt.timedelta(seconds=60)
    assert "451" in message.last_error

    # not before it is due
    clock.advance(dt.timedelta(seconds=59))
    assert services.messages_dispatch() == {}
    clock.advance(dt.timedelta(seconds=1))
    assert services.messages_dispatch() == {"retry": 1}
    message.refresh_from_db()
    assert message.next_attempt_at == NOON + dt.timedelta(seconds=60 + 120)

    clock.advance(dt.timedelta(seconds=120))
    assert services.messages_dispatch() == {"failed": 1}
    message.refresh_from_db()
    assert (message.state, message.attempts) == ("failed", 3)
    assert smtp.messages == []


def test_a_retry_that_succeeds_is_sent(smtp: SmtpInbox, member: Member) -> None:
    clock.freeze(NOON)
    smtp.refuse[member.email] = "421 4.7.0 busy"
    _upgrade_email(member, cause="c")
    services.messages_dispatch()
    del smtp.refuse[member.email]
    clock.advance(dt.timedelta(minutes=5))
    assert services.messages_dispatch() == {"sent": 1}
    assert (Message.objects.get().attempts, len(smtp.messages)) == (2, 1)


def test_sms_goes_through_the_gateway_with_the_opt_out_text(member: Member) -> None:
    MessagingSettings.objects.create(shop=member.shop, sms_sign_name="好店")
    _grant_marketing(member, "sms")
    services.message_send(
        member=member,
        kind="test.newsletter",
        cause="c",
        context={"offer": "满100减20"},
        channels=["sms"],
    )
    gateway = FakeGateway()

    assert services.messages_dispatch(sms_gateway=gateway) == {"sent": 1}

    (request,) = gateway.requests
    assert (request.phone, request.template_code, request.sign_name) == (
        member.phone,
        "M1",
        "好店",
    )
    assert request.text == "满100减20回T退订"
    assert request.params["offer"] == "满100减20"
    assert Message.objects.get().provider_id == "p-1"


def test_sms_errors_bad_number_bounces_rate_limit_retries_balance_fails(shop: Shop) -> None:
    clock.freeze(NOON)
    members = [make_member(shop, n) for n in (1, 2, 3)]
    gateway = FakeGateway()
    gateway.errors = {
        members[0].phone: sms_error("bad_number", transient=False),
        members[1].phone: sms_error("rate_limited", transient=True, retry_after=600),
        members[2].phone: sms_error("insufficient_balance", transient=False),
    }
    services.messages_send_bulk(
        kind="test.tier_upgraded",
        cause="c",
        members=members,
        context={"tier": "金"},
        channels=["sms"],
    )

    assert services.messages_dispatch(sms_gateway=gateway) == {
        "bounced": 1,
        "retry": 1,
        "failed": 1,
    }

    states = {m.member_id: (m.state, m.next_attempt_at) for m in Message.objects.all()}
    assert states[members[0].pk][0] == "bounced"
    assert states[members[1].pk] == ("queued", NOON + dt.timedelta(seconds=600))
    assert states[members[2].pk][0] == "failed"
    assert list(UnusableAddress.objects.values_list("channel", "address")) == [
        ("sms", members[0].phone)
    ]


def test_in_app_messages_are_delivered_read_and_deleted(member: Member) -> None:
    services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause="c1",
        context={"tier": "金"},
        channels=["inapp"],
    )
    services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause="c2",
        context={"tier": "银"},
        channels=["inapp"],
    )
    assert selectors.inbox_unread_count(member) == 0  # queued, not yet delivered
    assert services.messages_dispatch() == {"delivered": 2}
    assert selectors.inbox_unread_count(member) == 2
    first, second = sorted(selectors.inbox_list(member), key=lambda m: m.pk)
    assert second.body_text == "您已升级为银。"

    assert services.inbox_mark_read(member=member, message_ids=[first.pk]) == 1
    assert selectors.inbox_unread_count(member) == 1
    assert services.inbox_delete(member=member, message_id=second.pk) is True
    assert selectors.inbox_unread_count(member) == 0
    assert [m.pk for m in selectors.inbox_list(member)] == [first.pk]


def test_the_unread_count_is_one_query(member: Member, django_assert_num_queries: object) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        selectors.inbox_unread_count(member)


def test_english_members_get_english_and_a_missing_translation_falls_back(shop: Shop) -> None:
    member = make_member(shop, language="en")
    services.message_send(
        member=member,
        kind="test.tier_upgraded",
        cause="c",
        context={"tier": "Gold"},
        channels=["email", "inapp"],
    )
    rows = {m.channel: (m.language, m.subject) for m in Message.objects.all()}
    assert rows == {"email": ("en", "Welcome to Gold"), "inapp": ("zh-hans", "升级")}


def test_messages_are_created_in_the_callers_transaction(member: Member) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.message_send(
            member=member, kind="test.tier_upgraded", cause="c", context={"tier": "金"}
        )
        raise RuntimeError("the cause failed")
    assert Message.objects.count() == 0


def test_bulk_send_applies_consent_per_member(smtp: SmtpInbox, shop: Shop) -> None:
    members = [make_member(shop, n) for n in range(1, 11)]
    for m in members[:4]:
        _grant_marketing(m)
    created = services.messages_send_bulk(
        kind="test.newsletter",
        cause="campaign:9",
        members=members,
        context={"offer": "x"},
        channels=["email"],
    )
    assert created == 10
    assert services.messages_dispatch(batch_size=3) == {"sent": 4}
    assert sorted(r[0] for _, r, _ in smtp.messages) == sorted(m.email for m in members[:4])
    assert Message.objects.filter(state="suppressed", reason="consent_refused").count() == 6
    assert (
        services.messages_send_bulk(
            kind="test.newsletter",
            cause="campaign:9",
            members=members,
            context={"offer": "x"},
            channels=["email"],
        )
        == 0
    )


def test_unknown_kind_is_refused_naming_the_field(member: Member) -> None:
    from patron.core.errors import PatronError

    with pytest.raises(PatronError) as refused:
        services.message_send(member=member, kind="nope", cause="c")
    assert refused.value.field == "kind"


def test_the_dispatch_task_is_enqueued_on_commit(
    member: Member, django_capture_on_commit_callbacks: object
) -> None:
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        services.message_send(
            member=member, kind="test.tier_upgraded", cause="c", context={"tier": "金"}
        )
    assert DBTaskResult.objects.filter(task_path__endswith="messages_dispatch").count() == 1
    assert Channel.INAPP in {m.channel for m in Message.objects.all()}


def test_a_gateway_fault_retries_that_message_and_records_the_others(shop: Shop) -> None:
    members = [make_member(shop, n) for n in (1, 2)]
    gateway = FakeGateway()
    gateway.errors = {members[0].phone: RuntimeError("adapter bug")}
    services.messages_send_bulk(
        kind="test.tier_upgraded",
        cause="c",
        members=members,
        context={"tier": "金"},
        channels=["sms"],
    )
    assert services.messages_dispatch(sms_gateway=gateway) == {"retry": 1, "sent": 1}
    faulty = Message.objects.get(member=members[0])
    assert (faulty.state, faulty.claim, "adapter bug" in faulty.last_error) == ("queued", "", True)
