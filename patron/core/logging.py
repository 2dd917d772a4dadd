"""Keep phone numbers, e-mail addresses and other personal data out of logs.

Two ways in: log messages (``MaskPiiFilter`` on the configured handler) and the
web server's access log (``patron.core.access_log.GunicornLogger``, which ``patron serve`` runs
gunicorn with). Both pass through ``scrub``, which also reads query strings:
a console search for ``139 0000 0099`` reaches the access log as
``?q=139+0000+0099`` or ``?q=%2B8613900000099``, and an admin filter as
``?phone__startswith=1390``.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote_plus

from django.core.exceptions import ValidationError

from patron.core.pii import mask_email, mask_phone, normalize_phone

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<!\d)\+?\d{11,15}(?!\d)")
# A phone written with blanks or dashes ("139 0000 0099", "+86 139-0000-0099").
_SPACED_PHONE = re.compile(r"(?<![\w+])\+?\d[\d -]{9,18}\d(?![\w])")
_QUERY = re.compile(r"\?([^\s\"'#]*)")
# Query parameters whose value is personal whatever it looks like (partial
# numbers in admin lookups such as ``phone__startswith=1390``).
_PERSONAL_KEYS = ("phone", "mobile", "email", "e_mail", "address", "birthday")
_CONTACT_CHARACTERS = re.compile(r"^[\d\s()+\-.]+$")


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _mask_spaced_phone(match: re.Match[str]) -> str:
    text = match.group(0)
    if not 11 <= len(_digits(text)) <= 15:
        return text
    try:
        return mask_phone(normalize_phone(text))
    except ValidationError:
        return text


def _scrub_value(key: str, value: str) -> str:
    """A query parameter's value, masked if it is or may be personal data."""
    name = key.lower()
    if any(word in name for word in _PERSONAL_KEYS):
        return "****" if value else value
    if "@" in value:
        return _EMAIL.sub(lambda m: mask_email(m.group(0)), value)
    if _CONTACT_CHARACTERS.match(value) and len(_digits(value)) >= 7:
        # A number someone searched for, in any spelling: at most what the
        # masked column shows (first three and last four digits).
        digits = _digits(value)
        return mask_phone(f"+{digits}" if value.strip().startswith("+") else digits)
    return _scrub_text(value)


def _scrub_query(match: re.Match[str]) -> str:
    parts = []
    for pair in match.group(1).split("&"):
        raw_key, sep, raw_value = pair.partition("=")
        key, value = unquote_plus(raw_key), unquote_plus(raw_value)
        clean = _scrub_value(key, value)
        parts.append(pair if clean == value else f"{raw_key}{sep}{quote(clean, safe='*@')}")
    return "?" + "&".join(parts)


def _scrub_text(text: str) -> str:
    text = _EMAIL.sub(lambda m: mask_email(m.group(0)), text)
    text = _PHONE.sub(lambda m: mask_phone(m.group(0)), text)
    return _SPACED_PHONE.sub(_mask_spaced_phone, text)


def scrub(text: str) -> str:
    return _scrub_text(_QUERY.sub(_scrub_query, text))


class MaskPiiFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
