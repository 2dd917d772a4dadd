"""The message kinds registry.

The apps above messaging (tiers, points, promotions, campaigns, service)
register the kinds they send from their ``AppConfig.ready`` or from the
composition root: a code, a category, the variables a template may use and
the default wording per channel and language. Messaging never imports them;
it only reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from patron.messaging.models import Category, Channel

BASE_LANGUAGE = "zh-hans"
LANGUAGES = ("zh-hans", "en")

# Every template may use these; ``member`` is the recipient, ``shop`` the shop,
# ``unsubscribe_url`` the one-click link of the message's channel and category.
COMMON_VARIABLES: dict[str, str] = {
    "member": "the member: member.name, member.external_id, member.tier",
    "shop": "the shop: shop.name",
    "unsubscribe_url": "the one-click unsubscribe link for this channel and category",
}

# Attributes a template may read on the common variables.
COMMON_ATTRIBUTES: dict[str, frozenset[str]] = {
    "member": frozenset({"name", "external_id", "tier"}),
    "shop": frozenset({"name"}),
}


@dataclass(frozen=True)
class ChannelTemplate:
    """Default wording of a kind on one channel in one language. ``body_text``
    is the SMS text on the SMS channel; ``sms_template_code`` the provider's
    approved template it corresponds to."""

    subject: str = ""
    body_text: str = ""
    body_html: str = ""
    sms_template_code: str = ""


@dataclass(frozen=True)
class MessageKind:
    code: str
    category: Category
    # variable name -> short description, besides COMMON_VARIABLES
    variables: dict[str, str] = field(default_factory=dict)
    # channel -> language -> default template
    defaults: dict[Channel, dict[str, ChannelTemplate]] = field(default_factory=dict)
    channels: tuple[Channel, ...] = (Channel.INAPP,)

    def all_variables(self) -> dict[str, str]:
        return {**COMMON_VARIABLES, **self.variables}


_kinds: dict[str, MessageKind] = {}


def kind_register(kind: MessageKind) -> None:
    """Add ``kind`` (registering the same code again replaces it: reloads)."""
    for channel in kind.channels:
        if BASE_LANGUAGE not in kind.defaults.get(channel, {}):
            raise ValueError(f"{kind.code}: no {BASE_LANGUAGE} default for channel {channel}")
    _kinds[kind.code] = kind


def kind_unregister(code: str) -> None:
    _kinds.pop(code, None)


def kind_get(code: str) -> MessageKind:
    try:
        return _kinds[code]
    except KeyError:
        raise LookupError(f"unknown message kind {code!r}") from None


def kinds_all() -> list[MessageKind]:
    return sorted(_kinds.values(), key=lambda k: k.code)


def plain_wording(subject: str, text: str, *, sms_template_code: str = "") -> ChannelTemplate:
    """A default wording whose HTML is the text's paragraphs: the apps'
    default templates are short, and an operator who wants more saves one."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    return ChannelTemplate(
        subject=subject, body_text=text, body_html=html, sms_template_code=sms_template_code
    )


def link(path: str) -> str:
    """A link into the member portal, as the message context carries it."""
    from django.conf import settings

    return f"{settings.PATRON_PUBLIC_URL.rstrip('/')}{path}"


def same_wording(
    channels: tuple[Channel, ...], *, zh: ChannelTemplate, en: ChannelTemplate
) -> dict[Channel, dict[str, ChannelTemplate]]:
    """The same default wording on each of ``channels`` (e-mail and inbox),
    in both languages; the SMS wording, when a kind has one, is added apart."""
    return {channel: {"zh-hans": zh, "en": en} for channel in channels}


def cause_key(*parts: object) -> str:
    """A message cause or webhook event id from ``parts``, at most 100
    characters (the longer ones hashed, keeping the first part readable)."""
    import hashlib

    key = ":".join(str(p) for p in parts)
    if len(key) <= 100:
        return key
    return f"{parts[0]}:{hashlib.sha256(key.encode()).hexdigest()[:40]}"


# Reminders (points or coupons about to expire) are transactional, so quiet
# hours do not hold them; their hourly jobs wait for the morning instead.
REMINDERS_FROM_HOUR = 9


def reminders_due() -> bool:
    """Whether an hourly reminder job should run now: from 09:00 shop time on
    (the reminders are once a day, so the first run after 09:00 sends them)."""
    from django.utils import timezone

    from patron.core import clock

    return timezone.localtime(clock.now()).hour >= REMINDERS_FROM_HOUR
