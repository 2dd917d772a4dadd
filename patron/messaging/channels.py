"""Channels: how a batch of claimed messages leaves Patron.

Each channel takes the batch and returns an :class:`Outcome` per message;
the dispatcher (``services.dispatch``) records them. E-mail goes over one
SMTP connection per batch, each message built while the one before it is
on the wire; SMS through the configured gateway
(``patron.messaging.sms.base``); in-app messages are delivered at once.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import smtplib
import uuid
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpEmailBackend
from django.core.mail.message import sanitize_address

from patron.messaging.consent import unsubscribe_url
from patron.messaging.models import Category, Message, MessagingSettings

logger = logging.getLogger("patron.messaging")

# How many e-mails are built ahead of the one on the wire.
AHEAD = 32


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


def _email(
    message: Message, shop_settings: MessagingSettings, unsubscribe: str, connection: Any
) -> Any:
    sender = settings.PATRON_MESSAGING_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL
    headers: dict[str, str] = {}
    if message.category == Category.MARKETING:
        targets = [f"<{unsubscribe}>"]
        if shop_settings.unsubscribe_mailto:
            targets.append(f"<mailto:{shop_settings.unsubscribe_mailto}?subject=unsubscribe>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    headers.update(message.headers or {})
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


# (the Django message, and for the SMTP backend the envelope and the bytes)
Built = tuple[Any, tuple[str, list[str], bytes] | None]


def _build(
    message: Message, shop_settings: MessagingSettings, unsubscribe: str, connection: Any
) -> Built:
    """The message as Django's SMTP backend would put it on the wire (its
    ``_send``), so the next one can be built while the server answers."""
    mail = _email(message, shop_settings, unsubscribe, connection)
    if not isinstance(connection, SmtpEmailBackend):
        return mail, None
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    mime = mail.message()
    if mime.is_multipart():
        # Otherwise the generator picks a random one and compiles a regular
        # expression per message to check no part contains it.
        mime.set_boundary(f"===============patron{uuid.uuid4().hex}==")
    envelope = (
        _sender(mail.from_email, encoding),
        [sanitize_address(a, encoding) for a in mail.recipients()],
        mime.as_bytes(linesep="\r\n"),
    )
    return mail, envelope


@lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
    """The envelope sender, parsed once: every message of a shop has the same."""
    return str(sanitize_address(address, encoding))


def _ahead(
    messages: Sequence[Message], settings_of: Any, connection: Any
) -> Iterator[tuple[Message, Built | Exception]]:
    """Each message with its built form (or the error building it), built
    ``AHEAD`` messages in advance by one thread: building a MIME message is
    CPU work, waiting for the SMTP server's answers is not, so the two
    overlap. The thread touches no database: settings and links come from here."""
    jobs: deque[tuple[Message, Future[Built]]] = deque()
    todo = iter(messages)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="email-build") as pool:

        def submit(message: Message) -> None:
            unsubscribe = ""
            if message.category == Category.MARKETING and message.member_id is not None:
                unsubscribe = unsubscribe_url(
                    member_id=message.member_id, channel=message.channel, category=message.category
                )
            shop_settings = settings_of(message.shop_id)
            jobs.append(
                (message, pool.submit(_build, message, shop_settings, unsubscribe, connection))
            )

        try:
            for message in islice(todo, AHEAD):
                submit(message)
            while jobs:
                message, job = jobs.popleft()
                following = next(todo, None)
                if following is not None:
                    submit(following)
                error = job.exception()
                yield message, (error if isinstance(error, Exception) else job.result())
        finally:
            for _, job in jobs:
                job.cancel()


def email_send(messages: Sequence[Message], settings_of: Any) -> dict[int, Outcome]:
    """Send over one connection; a refused recipient (5xx) bounces, a 4xx or a
    dropped connection is retried, a 5xx on the message itself fails."""
    outcomes: dict[int, Outcome] = {}
    connection: Any = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        return {m.pk: Outcome("retry", f"SMTP connect: {exc}") for m in messages}
    try:
        for message, built in _ahead(messages, settings_of, connection):
            try:
                if isinstance(built, Exception):
                    raise built
                mail, envelope = built
                if envelope is None:
                    connection.send_messages([mail])
                else:
                    connection.connection.sendmail(*envelope)
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
