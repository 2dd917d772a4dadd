"""The password-reset mail goes through a real SMTP server on loopback."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from patron.members.models import Member
from patron.portal import tasks


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_password_reset_mail_is_delivered_over_smtp(
    smtp_inbox: tuple[_Inbox, int], member: Member
) -> None:
    inbox, port = smtp_inbox
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        DEFAULT_FROM_EMAIL="shop@example.com",
    ):
        sent = tasks.password_reset_mail.call(
            member_id=member.pk, url="http://shop.example/password-reset/abc/def/"
        )
    assert sent is True
    assert len(inbox.messages) == 1
    mail_from, recipients, raw = inbox.messages[0]
    assert mail_from == "shop@example.com"
    assert recipients == [member.email]
    message = email.message_from_bytes(raw)
    assert str(make_header(decode_header(message["Subject"]))) == "重置会员密码"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode(message.get_content_charset() or "utf-8")
    assert "http://shop.example/password-reset/abc/def/" in body
