"""Parsing inbound mail: text from HTML, automatic mail recognised."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage

import pytest

from patron.service.mail.parse import html_to_text, parse


def _raw(**headers: str) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = headers.pop("From", "li@example.com")
    message["To"] = "help@shop.example"
    message["Subject"] = "hi [T42]"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("hello")
    return message.as_bytes()


def test_html_becomes_text_without_scripts_or_markup() -> None:
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body>"
        "<p>鞋子&amp;袜子</p><script>alert(1)</script><div>第二行<br>第三行</div>"
        "<img src=x onerror=alert(2)></body></html>"
    )
    assert html_to_text(html) == "鞋子&袜子\n\n第二行\n第三行"


def test_an_html_only_mail_is_read_as_text() -> None:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Li <LI@Example.com>"
    message["Subject"] = "Q"
    message.set_content("<p>Hello <b>desk</b></p>", subtype="html")
    parsed = parse(message.as_bytes())
    assert (parsed.text, parsed.sender, parsed.sender_name) == (
        "Hello desk",
        "li@example.com",
        "Li",
    )
    assert parsed.message_id.endswith("@patron.invalid>")  # none given: derived from the bytes


def test_subject_reference_and_thread_ids() -> None:
    parsed = parse(_raw(In_Reply_To="<b@x>", References="<a@x> <b@x>", Message_ID="<c@x>"))
    assert parsed.ticket_number == 42
    assert parsed.thread_ids == ["<b@x>", "<a@x>"]
    assert parsed.message_id == "<c@x>"


@pytest.mark.parametrize(
    ("headers", "why"),
    [
        ({"Auto_Submitted": "auto-replied"}, "auto_submitted"),
        ({"Auto_Submitted": "auto-generated"}, "auto_submitted"),
        ({"X_Autoreply": "yes"}, "autoreply"),
        ({"Precedence": "bulk"}, "precedence"),
        ({"Precedence": "junk"}, "precedence"),
        ({"Precedence": "auto_reply"}, "precedence"),
        ({"From": "MAILER-DAEMON@mx.example"}, "robot_sender"),
        ({"From": "postmaster@mx.example"}, "robot_sender"),
        ({"Auto_Submitted": "no"}, ""),
        ({}, ""),
    ],
)
def test_automatic_mail_is_recognised(headers: dict[str, str], why: str) -> None:
    assert parse(_raw(**headers)).automatic == why


def test_a_delivery_report_is_a_bounce_whoever_sends_it() -> None:
    raw = (
        b"From: mail@mx.example\r\nSubject: failure\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--B--\r\n"
    )
    assert parse(raw).automatic == "bounce"
