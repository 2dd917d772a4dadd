"""Messaging fixtures: a real SMTP server on loopback, two registered kinds,
members, a small SMS gateway double, and loopback webhooks allowed."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging.kinds import ChannelTemplate, MessageKind, kind_register, kind_unregister
from patron.messaging.models import Category, Channel
from patron.messaging.sms import base as sms


class SmtpInbox:
    """Accepts mail; answers RCPT for addresses in ``refuse`` with their code."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[SmtpInbox]:
    inbox = SmtpInbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            DEFAULT_FROM_EMAIL="shop@example.com",
            PATRON_PUBLIC_URL="https://loyalty.example",
        ):
            yield inbox
    finally:
        controller.stop()


TIER_UPGRADED = MessageKind(
    code="test.tier_upgraded",
    category=Category.TRANSACTIONAL,
    variables={"tier": "the new tier's name"},
    channels=(Channel.EMAIL, Channel.SMS, Channel.INAPP),
    defaults={
        Channel.EMAIL: {
            "zh-hans": ChannelTemplate(
                subject="恭喜升级为{{ tier }}",
                body_text="{{ member.name }}，您已升级为{{ tier }}。",
                body_html="<p>{{ member.name }}，您已升级为<b>{{ tier }}</b>。</p>",
            ),
            "en": ChannelTemplate(
                subject="Welcome to {{ tier }}",
                body_text="{{ member.name }}, you are now {{ tier }}.",
                body_html="<p>{{ member.name }}, you are now <b>{{ tier }}</b>.</p>",
            ),
        },
        Channel.SMS: {
            "zh-hans": ChannelTemplate(
                body_text="{{ member.name }}，您已升级为{{ tier }}。", sms_template_code="SMS_1"
            ),
        },
        Channel.INAPP: {
            "zh-hans": ChannelTemplate(subject="升级", body_text="您已升级为{{ tier }}。"),
        },
    },
)

NEWSLETTER = MessageKind(
    code="test.newsletter",
    category=Category.MARKETING,
    variables={"offer": "this week's offer"},
    channels=(Channel.EMAIL, Channel.SMS, Channel.INAPP),
    defaults={
        Channel.EMAIL: {
            "zh-hans": ChannelTemplate(
                subject="本周优惠：{{ offer }}",
                body_text="{{ offer }}\n退订：{{ unsubscribe_url }}",
                body_html='<p>{{ offer }}</p><a href="{{ unsubscribe_url }}">退订</a>',
            )
        },
        Channel.SMS: {"zh-hans": ChannelTemplate(body_text="{{ offer }}", sms_template_code="M1")},
        Channel.INAPP: {"zh-hans": ChannelTemplate(subject="优惠", body_text="{{ offer }}")},
    },
)


@pytest.fixture(autouse=True)
def _noon_in_shanghai() -> None:
    """Outside quiet hours and away from day boundaries unless a test moves it."""
    clock.freeze(dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC))


@pytest.fixture(autouse=True)
def kinds() -> Iterator[None]:
    kind_register(TIER_UPGRADED)
    kind_register(NEWSLETTER)
    yield
    kind_unregister(TIER_UPGRADED.code)
    kind_unregister(NEWSLETTER.code)


def make_member(shop: Shop, n: int = 1, **fields: Any) -> Member:
    now = clock.now()
    values: dict[str, Any] = {
        "name": "王芳",
        "email": f"m{n}@example.com",
        "phone": f"+86138000000{n:02d}",
        "language": "zh-hans",
        **fields,
    }
    return Member.objects.create(
        shop=shop,
        external_id=f"M{n}",
        registered_at=now,
        created_at=now,
        updated_at=now,
        **values,
    )


@pytest.fixture
def member(shop: Shop) -> Member:
    return make_member(shop)


sms_base = sms


class FakeGateway:
    """Records requests; answers each phone in ``errors`` with that SmsError."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.errors: dict[str, Exception] = {}

    def send(self, request: Any) -> Any:
        self.requests.append(request)
        if request.phone in self.errors:
            raise self.errors[request.phone]
        return sms_base.SmsResult(provider_id=f"p-{len(self.requests)}")


def sms_error(kind: str, transient: bool, retry_after: float | None = None) -> Exception:
    return sms.SmsError(
        kind,  # type: ignore[arg-type]
        f"{kind} from gateway",
        transient=transient,
        retry_after=retry_after,
    )


@pytest.fixture(autouse=True)
def _webhooks_may_call_loopback() -> Iterator[None]:
    """The local receivers listen on 127.0.0.1, which production refuses (SSRF)."""
    with override_settings(PATRON_WEBHOOK_ALLOW_PRIVATE=True, PATRON_WEBHOOK_TIMEOUT=2):
        yield
