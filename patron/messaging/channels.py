"""Channels: how a batch of claimed messages leaves Patron.

Each channel takes the batch and returns an :class:`Outcome` per message;
the dispatcher (``services.dispatch``) records them. E-mail goes over one
SMTP connection per batch; SMS through the configured gateway
(``patron.messaging.sms.base``); in-app messages are delivered at once.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from patron.messaging.consent import unsubscribe_url
from patron.messaging.models import Category, Message, MessagingSettings

logger = logging.getLogger("patron.messaging")


@dataclass(frozen=True)
class Outcome:
    """``status``: sent | delivered | bounced (address unusable) | failed |
    retry (transient, try again, not before ``retry_after`` seconds)."""

    status: str
    error: str = ""
    provider_id: str = ""
    retry_after: float | None = None


def _code(exc: BaseException) -> int:
    return int(getattr(exc, "smtp_code", 0) or 0)


def _email(message: Message, shop_settings: MessagingSettings, connection: Any) -> Any:
    sender = settings.PATRON_MESSAGING_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    headers: dict[str, str] = {}
    if message.category == Category.MARKETING:
        url = unsubscribe_url(
            member_id=message.member_id, channel=message.channel, category=message.category
        )
        targets = [f"<{url}>"]
        if shop_settings.unsubscribe_mailto:
            targets.append(f"<mailto:{shop_settings.unsubscribe_mailto}?subject=unsubscribe>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=sender,
        to=[message.address],
        headers=headers,
        connection=connection,
    )
    if message.body_html:
        mail.attach_alternative(message.body_html, "text/html")
    return mail


def email_send(messages: Sequence[Message], settings_of: Any) -> dict[int, Outcome]:
    """Send over one connection; a refused recipient (5xx) bounces, a 4xx or a
    dropped connection is retried, a 5xx on the message itself fails."""
    outcomes: dict[int, Outcome] = {}
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        return {m.pk: Outcome("retry", f"SMTP connect: {exc}") for m in messages}
    try:
        for message in messages:
            try:
                connection.send_messages(
                    [_email(message, settings_of(message.shop_id), connection)]
                )
                outcomes[message.pk] = Outcome("sent")
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()), (0, b""))
                detail = (
                    f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                )
                outcomes[message.pk] = Outcome("bounced" if 500 <= code < 600 else "retry", detail)
            except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                code = _code(exc)
                outcomes[message.pk] = Outcome("failed" if 500 <= code < 600 else "retry", str(exc))
            except (ValueError, TypeError, UnicodeError) as exc:
                # A message Django cannot build (a header it refuses): this one fails.
                outcomes[message.pk] = Outcome("failed", f"message: {exc}")
            except (OSError, smtplib.SMTPException) as exc:
                # The connection broke: this one and the rest wait for a retry.
                outcomes[message.pk] = Outcome("retry", f"SMTP: {exc}")
                try:
                    connection.close()
                    connection.open()
                except (OSError, smtplib.SMTPException):
                    for rest in messages:
                        outcomes.setdefault(rest.pk, Outcome("retry", f"SMTP: {exc}"))
                    break
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            connection.close()
    return outcomes


def sms_gateway_default() -> Any:
    """The gateway ``PATRON_SMS`` configures (``patron.messaging.sms``)."""
    return importlib.import_module("patron.messaging.sms.base").gateway_from_settings()


def sms_send(
    messages: Sequence[Message], settings_of: Any, gateway: Any | None = None
) -> dict[int, Outcome]:
    """Send each through the gateway: an invalid number bounces (unusable), a
    transient error is retried (after the gateway's ``retry_after`` if it
    gave one), any other refusal fails."""
    try:
        base = importlib.import_module("patron.messaging.sms.base")
        if gateway is None:
            gateway = sms_gateway_default()
    except Exception as exc:  # a gateway not configured (or not installed) must not lose messages
        return {m.pk: Outcome("retry", f"SMS gateway: {exc}") for m in messages}
    outcomes: dict[int, Outcome] = {}
    for message in messages:
        request = base.SmsRequest(
            phone=message.address,
            template_code=message.sms_template_code,
            params=dict(message.sms_params),
            text=message.body_text,
            sign_name=settings_of(message.shop_id).sms_sign_name,
        )
        try:
            result = gateway.send(request)
        except base.SmsError as exc:
            if exc.kind == "bad_number":
                outcomes[message.pk] = Outcome("bounced", f"{exc.kind}: {exc.detail}")
            elif exc.transient:
                outcomes[message.pk] = Outcome(
                    "retry", f"{exc.kind}: {exc.detail}", retry_after=exc.retry_after
                )
            else:
                outcomes[message.pk] = Outcome("failed", f"{exc.kind}: {exc.detail}")
            continue
        except Exception as exc:
            # An adapter's own fault: recorded and retried, and the batch's
            # other outcomes (already sent) are still written back.
            logger.exception("SMS gateway failed on message %s", message.pk)
            outcomes[message.pk] = Outcome("retry", f"gateway error: {exc!r}")
            continue
        outcomes[message.pk] = Outcome("sent", provider_id=str(result.provider_id))
    return outcomes
