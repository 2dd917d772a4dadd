from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def _webhooks_may_call_loopback() -> Iterator[None]:
    """The local receivers listen on 127.0.0.1, which production refuses (SSRF)."""
    with override_settings(PATRON_WEBHOOK_ALLOW_PRIVATE=True, PATRON_WEBHOOK_TIMEOUT=2):
        yield
