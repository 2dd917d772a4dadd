"""The laptop gateway: it writes each SMS to the log and delivers nothing.

The default when ``PATRON_SMS`` is unset, so ``make run`` needs no provider.
Its provider ids start with ``console-`` so the delivery log cannot be
mistaken for a real send.
"""

from __future__ import annotations

import logging
import uuid

from patron.core.pii import mask_phone
from patron.messaging.sms.base import SmsRequest, SmsResult, checked_phone

logger = logging.getLogger("patron.messaging.sms")


class ConsoleSmsGateway:
    """Logs the SMS it is given (number masked); sends nothing."""

    def __init__(self, **_options: object) -> None:
        pass

    def send(self, request: SmsRequest) -> SmsResult:
        checked_phone(request.phone)
        provider_id = f"console-{uuid.uuid4().hex}"
        logger.info(
            "SMS NOT SENT (console gateway) to %s, template %s, params %s: 【%s】%s [%s]",
            mask_phone(request.phone),
            request.template_code,
            request.params,
            request.sign_name,
            request.text,
            provider_id,
        )
        return SmsResult(provider_id=provider_id)
