from __future__ import annotations

import logging

import pytest

from patron.core.logging import MaskPiiFilter, scrub


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("call 13812345678 now", "call 138****5678 now"),
        ("member +8613812345678 logged in", "member +86 138****5678 logged in"),
        ("mail zhang.wei@example.com ok", "mail z***@example.com ok"),
        ("order 2026 paid 12345 fen", "order 2026 paid 12345 fen"),  # short numbers stay
        ("id 1234567890123456 too long", "id 1234567890123456 too long"),  # 16 digits: not a phone
    ],
)
def test_scrub_masks_phones_and_emails(text: str, clean: str):
    assert scrub(text) == clean


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("patron.test", logging.INFO, __file__, 1, msg, args, None)


def test_filter_masks_pii_in_formatted_arguments():
    record = _record("member %s with %s", "+8613812345678", "li@example.cn")
    assert MaskPiiFilter().filter(record) is True
    assert record.getMessage() == "member +86 138****5678 with l***@example.cn"
    assert record.args is None


def test_filter_leaves_clean_records_untouched():
    record = _record("order %s paid", "O-1")
    assert MaskPiiFilter().filter(record) is True
    assert record.msg == "order %s paid"
    assert record.args == ("O-1",)


def test_configured_handler_masks_what_it_emits(caplog: pytest.LogCaptureFixture):
    logger = logging.getLogger("patron.test.pii")
    handler = logging.getLogger().handlers[0]
    masks = [f for f in handler.filters if isinstance(f, MaskPiiFilter)]
    assert len(masks) == 1
    record = _record("sms to %s", "13900001111")
    masks[0].filter(record)
    assert record.getMessage() == "sms to 139****1111"
    del logger
