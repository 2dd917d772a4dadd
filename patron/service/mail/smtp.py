"""The SMTP listener of ``patron mail-intake`` (aiosmtpd): it accepts mail
for the desk's inbox addresses only and hands each to ``mail_receive`` on
a worker thread (the ORM is synchronous)."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from django.db import close_old_connections

from patron.core.errors import PatronError
from patron.service.mail.parse import MAIL_MAX_BYTES
from patron.service.models import MailInbox
from patron.service.services.mail import mail_inbox_for, mail_receive

logger = logging.getLogger("patron.service.mail")


def _inbox(address: str) -> MailInbox | None:
    close_old_connections()
    try:
        return mail_inbox_for([address])
    finally:
        close_old_connections()


def _deliver(recipients: list[str], raw: bytes) -> str:
    close_old_connections()
    try:
        inbox = mail_inbox_for(recipients)
        if inbox is None:
            return "550 5.1.1 no such mailbox"
        outcome = mail_receive(inbox=inbox, raw=raw)
        logger.info("inbound mail: %s %s", outcome.action, outcome.why)
        return "250 2.0.0 OK"
    except PatronError as exc:
        return f"552 5.3.4 {exc.detail}"
    except Exception:
        # Kept by the sending server and retried later: nothing is lost.
        logger.exception("inbound mail failed")
        return "451 4.3.0 try again later"
    finally:
        close_old_connections()


class IntakeHandler:
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if await asyncio.to_thread(_inbox, address) is None:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        return await asyncio.to_thread(_deliver, list(envelope.rcpt_tos), bytes(raw))


def intake_controller(host: str, port: int) -> Controller:
    return Controller(IntakeHandler(), hostname=host, port=port, data_size_limit=MAIL_MAX_BYTES)


def serve(host: str, port: int, stop: threading.Event) -> None:
    """Listen on ``host:port`` until ``stop`` is set (``patron mail-intake``)."""
    controller = intake_controller(host, port)
    controller.start()
    logger.info("mail-intake listening on %s:%s", host, port)
    try:
        stop.wait()
    finally:
        controller.stop()
