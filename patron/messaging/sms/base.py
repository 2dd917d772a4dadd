"""The SMS gateway interface every adapter implements.

A gateway takes one :class:`SmsRequest` and either answers an
:class:`SmsResult` (the provider accepted the message) or raises
:class:`SmsError` saying what kind of refusal it was and whether sending again
later may help. The adapter is chosen by the setting ``PATRON_SMS``::

    PATRON_SMS = {"BACKEND": "patron.messaging.sms.aliyun.AliyunSmsGateway",
                  "ACCESS_KEY_ID": "...", "ACCESS_KEY_SECRET": "...", ...}

Unset, the :class:`~patron.messaging.sms.console.ConsoleSmsGateway` only logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Literal, Protocol

import phonenumbers
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.module_loading import import_string

from patron.core import clock
from patron.core.pii import normalize_phone

SmsErrorKind = Literal[
    "rate_limited", "bad_number", "insufficient_balance", "rejected", "unavailable"
]

# An empty balance needs a person to top it up: try again in an hour.
BALANCE_RETRY_SECONDS = 3600.0

DEFAULT_BACKEND = "patron.messaging.sms.console.ConsoleSmsGateway"


@dataclass(frozen=True)
class SmsRequest:
    phone: str  # E.164, e.g. +8613800000001
    template_code: str  # the provider's template id (Alibaba: SMS_123456789)
    params: dict[str, str] = field(default_factory=dict)  # the template's variables
    text: str = ""  # the rendered message, for gateways that take text
    sign_name: str = ""  # the approved signature (签名) shown as 【...】


@dataclass(frozen=True)
class SmsResult:
    provider_id: str  # the provider's id of the accepted message (Alibaba's BizId)


class SmsError(Exception):
    """A send the gateway refused or could not make.

    ``kind``: rate_limited | bad_number | insufficient_balance | rejected |
    unavailable. ``transient``: sending again later may succeed (a caller
    retries; ``retry_after`` seconds is the provider's hint, when it gave one).
    ``detail`` says what happened, for the delivery log.
    """

    def __init__(
        self,
        kind: SmsErrorKind,
        detail: str,
        *,
        transient: bool,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind: SmsErrorKind = kind
        self.detail = detail
        self.transient = transient
        self.retry_after = retry_after


class SmsGateway(Protocol):
    def send(self, request: SmsRequest) -> SmsResult: ...


def gateway_from_settings() -> SmsGateway:
    """The gateway ``settings.PATRON_SMS`` names, built with its other keys as options."""
    config: dict[str, Any] = dict(getattr(settings, "PATRON_SMS", None) or {})
    backend = config.pop("BACKEND", DEFAULT_BACKEND)
    try:
        cls = import_string(backend)
    except ImportError as exc:
        raise ImproperlyConfigured(f"PATRON_SMS BACKEND {backend!r} cannot be imported") from exc
    return cls(**{key.lower(): value for key, value in config.items()})  # type: ignore[no-any-return]


def checked_phone(phone: str) -> phonenumbers.PhoneNumber:
    """The request's number, parsed, if it is a valid E.164 number; a
    permanent ``bad_number`` SmsError before any call is made otherwise."""
    if not phone.startswith("+"):
        raise SmsError(
            "bad_number",
            f"phone: {phone!r} is not in E.164 form (+ and the country code)",
            transient=False,
        )
    try:
        normalize_phone(phone)
    except ValidationError as exc:
        raise SmsError("bad_number", f"phone: {exc.messages[0]}", transient=False) from exc
    return phonenumbers.parse(phone, None)


def retry_after_seconds(value: str | None) -> float | None:
    """An HTTP ``Retry-After`` (delta-seconds or an HTTP date) in seconds from now."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - clock.now()).total_seconds()
    return max(seconds, 0.0)
