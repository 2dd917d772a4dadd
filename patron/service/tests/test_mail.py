# ruff: noqa: F811 (the smtp fixture is imported, then requested by name)
"""The e-mail channel through the real local SMTP listener (aiosmtpd in this
process, mail sent with smtplib) and messaging's real SMTP sending."""

from __future__ import annotations

import smtplib
import socket
import threading
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.models import Message
from patron.messaging.tests.conftest import SmtpInbox, smtp  # noqa: F401 (the fixture)
from patron.service.mail import smtp as listener
from patron.service.mail.smtp import intake_controller
from patron.service.management.commands import mail_intake
from patron.service.models import (
    AgentProfile,
    Attachment,
    Contact,
    EntryKind,
    MailInbox,
    Ticket,
    TicketEntry,
)
from patron.service.services import agent_reply
from patron.service.services.mail import mail_inbox_create

pytestmark = pytest.mark.django_db(transaction=True)

DESK = "help@shop.example"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    # Attachments are stored through Django's storage: keep them out of the checkout.
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def intake(shop: Shop) -> Iterator[int]:
    mail_inbox_create(shop=shop, address=DESK)
    port = _free_port()
    controller = intake_controller("127.0.0.1", port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def mail(
    subject: str,
    text: str,
    *,
    sender: str = "李雷 <li@example.com>",
    message_id: str,
    **headers: str,
) -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = DESK
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.send_message(message)


def sent_mails(outbox: SmtpInbox) -> list[EmailMessage]:
    parsed = [BytesParser(policy=policy.default).parsebytes(raw) for _, _, raw in outbox.messages]
    return [m for m in parsed if isinstance(m, EmailMessage)]


def test_a_new_mail_opens_a_ticket_for_the_member_with_its_attachments(
    intake: int, member: Member
) -> None:
    # Given a mail with an HTML alternative, a photo and an executable
    message = mail("鞋子尺码不对", "你好，鞋子小了一码。", message_id="<m1@example.com>")
    message.add_alternative("<p>你好，<b>鞋子</b>小了一码。</p>", subtype="html")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="shoe.png")
    message.add_attachment(b"MZ", maintype="application", subtype="x-msdownload", filename="a.exe")

    # When it arrives at the desk's SMTP listener
    send(intake, message)

    # Then one e-mail ticket exists for the member, with the text and the photo
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.subject, ticket.member) == ("email", "鞋子尺码不对", member)
    assert ticket.contact == Contact.objects.get(channel="email", handle="li@example.com")
    first = ticket.entries.get(kind=EntryKind.MEMBER_MESSAGE)
    assert first.body == "你好，鞋子小了一码。"
    assert first.external_id == "<m1@example.com>"
    photo = Attachment.objects.get(entry=first)
    assert (photo.name, photo.content_type, photo.size) == ("shoe.png", "image/png", len(PNG))
    assert photo.file.read() == PNG
    assert first.data["dropped_attachments"] == ["a.exe: type application/x-msdownload"]

    # and the same mail delivered again is recorded once
    send(intake, message)
    assert TicketEntry.objects.filter(kind=EntryKind.MEMBER_MESSAGE).count() == 1


def test_an_unknown_sender_opens_a_ticket_for_a_contact(intake: int, shop: Shop) -> None:
    send(intake, mail("咨询", "有货吗？", sender="x@other.example", message_id="<u1@o>"))
    ticket = Ticket.objects.get()
    assert ticket.member is None
    assert ticket.contact is not None and ticket.contact.handle == "x@other.example"


def test_mail_for_another_address_is_refused(intake: int) -> None:
    message = mail("hi", "hello", message_id="<x@o>")
    message.replace_header("To", "nobody@shop.example")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(intake, message)
    assert not Ticket.objects.exists()


def test_the_reply_goes_out_threaded_and_the_answer_threads_back(
    intake: int, member: Member, agent: AgentProfile, smtp: SmtpInbox
) -> None:
    # Given a ticket opened by mail, and the agent's reply sent out
    send(intake, mail("鞋子尺码不对", "小了一码", message_id="<m1@example.com>"))
    ticket = Ticket.objects.get()
    reply = agent_reply(ticket=ticket, agent=agent, body="可以换货，请寄回。")
    messaging.messages_dispatch()

    # Then the reply is a service e-mail to the sender, threaded on their mail
    out = Message.objects.get(kind="service.email_reply")
    assert (out.category, out.state, out.address) == ("service", "sent", "li@example.com")
    [sent] = sent_mails(smtp)
    reply.refresh_from_db()
    assert sent["Subject"] == f"Re: 鞋子尺码不对 [T{ticket.number}]"
    assert sent["Message-ID"] == reply.external_id
    assert reply.external_id.startswith(f"<T{ticket.number}.{reply.pk}.")
    assert sent["In-Reply-To"] == "<m1@example.com>"
    assert sent["References"] == "<m1@example.com>"
    assert sent["Reply-To"] == DESK
    text = sent.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().strip() == "可以换货，请寄回。"

    # When the member answers it (their client sets In-Reply-To, not the subject)
    send(
        intake,
        mail(
            "Re: 你的回复",
            "好的，已寄出。",
            message_id="<m2@example.com>",
            In_Reply_To=sent["Message-ID"],
            References=f"<m1@example.com> {sent['Message-ID']}",
        ),
    )

    # Then it lands on the same ticket, no new ticket is opened
    assert Ticket.objects.count() == 1
    assert list(
        ticket.entries.filter(kind=EntryKind.MEMBER_MESSAGE)
        .order_by("pk")
        .values_list("body", flat=True)
    ) == ["小了一码", "好的，已寄出。"]

    # and the next reply references the whole thread
    agent_reply(ticket=ticket, agent=agent, body="收到。")
    messaging.messages_dispatch()
    second = sent_mails(smtp)[1]
    assert second["In-Reply-To"] == "<m2@example.com>"
    assert second["References"] == f"<m1@example.com> {sent['Message-ID']} <m2@example.com>"


def test_a_reply_to_an_unknown_sender_goes_out_to_their_address_threaded(
    intake: int, shop: Shop, agent: AgentProfile, smtp: SmtpInbox
) -> None:
    # Given a mail from someone who is no member, and the agent's reply
    send(
        intake,
        mail("有货吗", "黑色M码有货吗？", sender="王五 <x@other.example>", message_id="<u1@o>"),
    )
    ticket = Ticket.objects.get()
    assert ticket.member is None
    reply = agent_reply(ticket=ticket, agent=agent, body="有货，可以下单。")
    messaging.messages_dispatch()

    # Then it leaves through messaging's e-mail channel, to the address that
    # wrote, threaded like a member's
    out = Message.objects.get(kind="service.email_reply")
    assert (out.member, out.category, out.state, out.address) == (
        None,
        "service",
        "sent",
        "x@other.example",
    )
    [sent] = sent_mails(smtp)
    [(_, recipients, _)] = smtp.messages
    assert recipients == ["x@other.example"]
    reply.refresh_from_db()
    assert "email" not in reply.data
    assert sent["Subject"] == f"Re: 有货吗 [T{ticket.number}]"
    assert sent["Message-ID"] == reply.external_id
    assert (sent["In-Reply-To"], sent["References"]) == ("<u1@o>", "<u1@o>")
    assert sent["Reply-To"] == DESK
    text = sent.get_body(preferencelist=("plain",))
    assert text is not None and text.get_content().strip() == "有货，可以下单。"

    # and their answer threads back onto the ticket
    send(
        intake,
        mail(
            "Re: 有货吗",
            "好的",
            sender="x@other.example",
            message_id="<u2@o>",
            In_Reply_To=sent["Message-ID"],
        ),
    )
    assert Ticket.objects.count() == 1
    assert ticket.entries.filter(kind=EntryKind.MEMBER_MESSAGE).count() == 2

    # a note never leaves, and a dispatch again sends nothing more
    from patron.service.services import agent_note

    agent_note(ticket=ticket, agent=agent, body="内部")
    messaging.messages_dispatch()
    assert len(smtp.messages) == 1


def test_a_subject_reference_threads_only_for_the_ticket_s_correspondent(
    intake: int, member: Member
) -> None:
    send(intake, mail("发票", "要发票", message_id="<a1@example.com>"))
    ticket = Ticket.objects.get()

    # the member's new mail quoting [T1] in the subject joins the ticket
    send(intake, mail(f"还有 [T{ticket.number}]", "抬头写公司", message_id="<a2@example.com>"))
    # a stranger quoting the same reference opens their own ticket
    send(
        intake,
        mail(f"[T{ticket.number}]", "我也要", sender="eve@evil.example", message_id="<e1@e>"),
    )

    assert ticket.entries.filter(kind=EntryKind.MEMBER_MESSAGE).count() == 2
    assert Ticket.objects.count() == 2
    assert Ticket.objects.exclude(pk=ticket.pk).get().contact.handle == "eve@evil.example"  # type: ignore[union-attr]


def test_an_auto_reply_to_our_reply_does_not_loop(
    intake: int, member: Member, agent: AgentProfile, smtp: SmtpInbox
) -> None:
    # Given a ticket and a reply that went out
    send(intake, mail("问题", "请回复", message_id="<q1@example.com>"))
    ticket = Ticket.objects.get()
    agent_reply(ticket=ticket, agent=agent, body="已处理")
    messaging.messages_dispatch()
    [sent] = sent_mails(smtp)
    entries = ticket.entries.count()

    # When the member's mailbox answers with an out-of-office notice, in each usual form
    for n, header in enumerate(
        [
            {"Auto_Submitted": "auto-replied"},
            {"X_Autoreply": "yes"},
            {"Precedence": "auto_reply"},
            {"Precedence": "bulk"},
        ]
    ):
        send(
            intake,
            mail(
                f"自动回复: {sent['Subject']}",
                "我正在休假",
                message_id=f"<ooo{n}@example.com>",
                In_Reply_To=sent["Message-ID"],
                **header,
            ),
        )
    messaging.messages_dispatch()

    # Then nothing is recorded, no ticket is opened and nothing more is sent
    assert Ticket.objects.count() == 1
    assert ticket.entries.count() == entries
    assert len(smtp.messages) == 1
    assert Message.objects.count() == 1


def test_a_bounce_does_not_open_a_ticket(intake: int, shop: Shop) -> None:
    bounce = (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
        f"To: {DESK}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <b1@mx.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@y\r\n"
        "Action: failed\r\n--B--\r\n"
    )

    with smtplib.SMTP("127.0.0.1", intake, timeout=10) as client:
        client.sendmail("", [DESK], bounce.encode())
    # a report from postmaster without the report structure is ignored too
    send(
        intake,
        mail("Delivery failure", "failed", sender="postmaster@mx.example", message_id="<b2@mx>"),
    )

    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()


def test_the_inbound_mail_webhook(client: Client, shop: Shop, member: Member) -> None:
    _, token = mail_inbox_create(shop=shop, address="desk2@shop.example")
    raw = mail("网页表单", "通过网页转发", message_id="<w1@example.com>").as_bytes()
    url = "/mail/inbound/"

    wrong = client.post(
        url, raw, content_type="message/rfc822", headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status_code == 401
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong.json()["code"] == "unauthenticated"
    empty = client.post(
        url, b"", content_type="message/rfc822", headers={"Authorization": f"Bearer {token}"}
    )
    assert (empty.status_code, empty.json()["errors"][0]["field"]) == (422, "body")
    assert not Ticket.objects.exists()

    ok = client.post(
        url, raw, content_type="message/rfc822", headers={"Authorization": f"Bearer {token}"}
    )
    again = client.post(
        url, raw, content_type="message/rfc822", headers={"Authorization": f"Bearer {token}"}
    )

    ticket = Ticket.objects.get()
    assert ok.status_code == 200
    assert ok.json() == {"action": "opened", "ticket": ticket.reference, "why": ""}
    assert again.json() == {"action": "duplicate", "ticket": ticket.reference, "why": ""}
    assert MailInbox.objects.get(address="desk2@shop.example").token_sha256 != token


def test_the_webhook_refuses_a_mail_too_large(client: Client, shop: Shop, settings: Any) -> None:
    _, token = mail_inbox_create(shop=shop, address="desk3@shop.example")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = mail("大", "x" * 2000, message_id="<big@example.com>").as_bytes()
    answer = client.post(
        "/mail/inbound/",
        raw,
        content_type="message/rfc822",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (answer.status_code, answer.json()["code"]) == (413, "body_too_large")
    assert not Ticket.objects.exists()


def test_the_mail_intake_command_listens_until_stopped(
    shop: Shop, member: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the command running (stopped by the test instead of a signal)
    mail_inbox_create(shop=shop, address=DESK)
    port = _free_port()
    stop = threading.Event()
    monkeypatch.setattr(
        mail_intake, "serve", lambda host, at, _stop: listener.serve(host, at, stop)
    )
    thread = threading.Thread(
        target=lambda: call_command("mail_intake", host="127.0.0.1", port=port), daemon=True
    )
    thread.start()
    try:
        # When a mail is sent to it
        for _ in range(50):
            try:
                send(port, mail("命令", "通过命令收信", message_id="<cmd@example.com>"))
                break
            except OSError:
                time.sleep(0.1)
        # Then it opened a ticket
        assert Ticket.objects.get().subject == "命令"
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
