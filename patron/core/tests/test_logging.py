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


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ('"GET /console/members/?q=139+1234+5678 HTTP/1.1" 200', "?q=139****5678 "),
        ("GET /console/members/?q=%2B8613912345678", "?q=%2B86%20139****5678"),
        ("GET /console/members/?q=139-1234-5678&page=2", "?q=139****5678&page=2"),
        ("GET /console/members/?q=lilei%40example.com", "?q=l***@example.com"),
        ("GET /admin/members/member/?phone__startswith=%2B86139", "?phone__startswith=****"),
        ("GET /admin/events/event/?payload__email__startswith=li", "email__startswith=****"),
        ("GET /console/members/?q=%E6%9D%8E%E9%9B%B7", "?q=%E6%9D%8E%E9%9B%B7"),
        ("call 139 1234 5678 now", "call +86 139****5678 now"),
        ("at 2026-03-01 10:00:00 order 2026 paid", "at 2026-03-01 10:00:00 order 2026 paid"),
    ],
)
def test_scrub_masks_phones_in_query_strings_in_any_spelling(text: str, clean: str):
    assert clean in scrub(text)


def test_the_access_log_keeps_searched_phones_masked():
    # given gunicorn's access log as `patron serve` configures it
    import datetime as dt
    from types import SimpleNamespace

    from django.utils.module_loading import import_string
    from gunicorn.config import Config

    from patron.core.management.commands.serve import web_command

    command = web_command("/bin", host="127.0.0.1", port=8000, workers=1)
    logger_class = import_string(command[command.index("--logger-class") + 1])
    config = Config()
    config.set("accesslog", "-")
    access_logger = logger_class(config)
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    access_logger.access_log.addHandler(Keep())
    # when an operator searches a phone and then opens a result from that page
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/console/members/?q=139+1234+5678",
        "PATH_INFO": "/console/members/",
        "QUERY_STRING": "q=139+1234+5678",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "http://testserver/console/members/?q=%2B8613912345678",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    access_logger.access(response, request, environ, dt.timedelta(seconds=0))
    # then the access log line has the number masked in the request and the referer
    assert len(lines) == 1
    assert "1234" not in lines[0]
    assert "139****5678" in lines[0]


def test_runserver_request_lines_go_through_the_mask():
    # (pytest adds capturing handlers of its own; the configured ones are plain streams)
    server = logging.getLogger("django.server")
    handlers = [h for h in server.handlers if type(h) is logging.StreamHandler]
    assert handlers
    assert not server.propagate
    assert all(any(isinstance(f, MaskPiiFilter) for f in h.filters) for h in handlers)
