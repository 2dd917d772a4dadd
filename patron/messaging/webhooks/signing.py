"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}.{body}"``.

The header (``Patron-Signature``) carries the timestamp and one ``v1``
signature per valid secret, so a shop that has not yet switched to a rotated
secret keeps verifying with the old one during the rotation window::

    Patron-Signature: t=1700000000,v1=<hex>[,v1=<hex with the previous secret>]

:func:`verify_signature` is what a shop runs (docs/messaging.md has the same
recipe): it refuses a body that was changed, a signature made with no secret
it knows, and a timestamp more than ``tolerance`` seconds away from now (a
replay of an old request).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable

HEADER = "Patron-Signature"
DEFAULT_TOLERANCE = 300  # seconds


class SignatureError(ValueError):
    """The signature does not prove the body came from Patron just now."""


def signature_hex(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex>`` with one ``v1`` per secret, current first."""
    parts = [f"t={timestamp}"]
    parts += [f"v1={signature_hex(secret, timestamp, body)}" for secret in secrets if secret]
    return ",".join(parts)


def verify_signature(
    header: str,
    body: bytes,
    secrets: Iterable[str],
    tolerance: int = DEFAULT_TOLERANCE,
    now: dt.datetime | float | None = None,
) -> int:
    """Check a ``Patron-Signature`` header against the raw body and the
    secrets the receiver holds; return the signed timestamp, or raise
    :class:`SignatureError`.

    Any ``v1`` matching any of ``secrets`` passes (there are two during a
    rotation). ``now`` defaults to the system time (a ``datetime`` or unix
    seconds). Compare in constant time; read ``body`` as the raw bytes
    received, before any JSON parsing.
    """
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError as exc:
                raise SignatureError("the timestamp is not a number") from exc
        elif key == "v1" and value:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in the signature header")
    if not signatures:
        raise SignatureError("no v1 signature in the signature header")
    if now is None:
        current = dt.datetime.now(dt.UTC).timestamp()
    elif isinstance(now, dt.datetime):
        current = now.timestamp()
    else:
        current = float(now)
    if abs(current - timestamp) > tolerance:
        raise SignatureError("the timestamp is outside the tolerance (a replay?)")
    expected = [signature_hex(secret, timestamp, body) for secret in secrets if secret]
    if not any(hmac.compare_digest(e, s) for e in expected for s in signatures):
        raise SignatureError("no signature matches the body with a known secret")
    return timestamp
