"""Consent rules and the signed one-click unsubscribe token.

Decision (docs/decisions/messaging.md): marketing needs an explicit opt-in
and defaults off; transactional and service messages default on. A member
may turn service messages off on any channel, and transactional ones off for
e-mail and SMS (a shop's order and points notices stay opt-out-able there);
transactional in-app messages are always kept: they are the member's own
record in their inbox, reached only by signing in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, get_urlconf, reverse

from patron.messaging.models import Category, Channel

DEFAULTS: dict[str, bool] = {
    Category.TRANSACTIONAL: True,
    Category.SERVICE: True,
    Category.MARKETING: False,
}

# (channel, category) a member cannot turn off.
ALWAYS_ON: frozenset[tuple[str, str]] = frozenset({(Channel.INAPP, Category.TRANSACTIONAL)})

# ``Member.consent_*`` (and the shop API's ``consents``) name channels so.
MEMBER_FLAG_CHANNELS: dict[str, str] = {
    "email": Channel.EMAIL,
    "sms": Channel.SMS,
    "in_app": Channel.INAPP,
}
CHANNEL_MEMBER_FIELDS: dict[str, str] = {
    Channel.EMAIL: "consent_email",
    Channel.SMS: "consent_sms",
    Channel.INAPP: "consent_in_app",
}

_SALT = "patron.messaging.unsubscribe"


@dataclass(frozen=True)
class Unsubscribe:
    member_id: int
    channel: str
    category: str


def unsubscribe_token(*, member_id: int, channel: str, category: str) -> str:
    """A signed, non-expiring token for one member × channel × category."""
    return signing.dumps([member_id, channel, category], salt=_SALT, compress=False)


def unsubscribe_read(token: str) -> Unsubscribe | None:
    """The unsubscribe a token stands for, or None if it is not one of ours."""
    try:
        member_id, channel, category = signing.loads(token, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if (
        not isinstance(member_id, int)
        or channel not in Channel.values
        or category not in Category.values
    ):
        return None
    return Unsubscribe(member_id, channel, category)


_SLOT = "SLOT"


@lru_cache(maxsize=8)
def _unsubscribe_path(urlconf: str, local_urlconf: Any, script_prefix: str) -> tuple[str, str]:
    """The unsubscribe path around its token, reversed once: ``reverse`` costs
    more than signing the token, and a campaign builds one link per member."""
    before, _, after = reverse("messaging:unsubscribe", args=[_SLOT]).rpartition(_SLOT)
    return before, after


def unsubscribe_url(*, member_id: int, channel: str, category: str) -> str:
    token = unsubscribe_token(member_id=member_id, channel=channel, category=category)
    # Tokens are URL-safe base64 and colons, which ``reverse`` leaves as they are.
    before, after = _unsubscribe_path(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix())
    return f"{settings.PATRON_PUBLIC_URL.rstrip('/')}{before}{token}{after}"
