"""A message kind for the inbox tests and a helper that delivers in-app
messages to a member the way production does (send, then dispatch)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from patron.members.models import Member
from patron.messaging import services as messaging_services
from patron.messaging.kinds import ChannelTemplate, MessageKind, kind_register, kind_unregister
from patron.messaging.models import Category, Channel, Message

NOTICE = MessageKind(
    code="test.notice",
    category=Category.TRANSACTIONAL,
    variables={"title": "what happened", "detail": "more about it"},
    channels=(Channel.INAPP, Channel.EMAIL),
    defaults={
        Channel.INAPP: {
            "zh-hans": ChannelTemplate(subject="通知：{{ title }}", body_text="{{ detail }}"),
            "en": ChannelTemplate(subject="Notice: {{ title }}", body_text="{{ detail }}"),
        },
        Channel.EMAIL: {
            "zh-hans": ChannelTemplate(
                subject="{{ member.name }}，{{ title }}",
                body_text="{{ detail }}",
                body_html="<p>{{ member.name }}：<b>{{ detail }}</b></p>",
            ),
        },
    },
)


@contextmanager
def notice_kind() -> Iterator[MessageKind]:
    kind_register(NOTICE)
    try:
        yield NOTICE
    finally:
        kind_unregister(NOTICE.code)


def deliver_notices(member: Member, titles: list[str], detail: str = "") -> list[Message]:
    """One delivered in-app notice per title, oldest first."""
    for n, title in enumerate(titles):
        messaging_services.message_send(
            member=member,
            kind=NOTICE.code,
            cause=f"test-notice:{member.pk}:{n}:{title}",
            context={"title": title, "detail": detail or f"{title}…"},
            channels=[Channel.INAPP],
        )
    messaging_services.messages_dispatch()
    return list(
        Message.objects.filter(member=member, kind=NOTICE.code, state="delivered").order_by("id")
    )
