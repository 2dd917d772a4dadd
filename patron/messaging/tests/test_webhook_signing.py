"""The signature header and the verifier shops run (good, tampered, old, rotated)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from patron.messaging.webhooks.signing import (
    SignatureError,
    signature_header,
    signature_hex,
    verify_signature,
)

BODY = b'{"id":"evt-1","type":"member.tier_changed","data":{"tier":"gold"}}'
T = 1_700_000_000


def test_a_good_signature_verifies_and_returns_its_timestamp() -> None:
    header = signature_header(["s1"], T, BODY)
    assert header == f"t={T},v1={signature_hex('s1', T, BODY)}"
    assert verify_signature(header, BODY, ["s1"], now=T + 10) == T


def test_the_algorithm_is_hmac_sha256_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"s1", f"{T}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert signature_hex("s1", T, BODY) == expected


def test_a_tampered_body_is_refused() -> None:
    header = signature_header(["s1"], T, BODY)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify_signature(header, BODY.replace(b"gold", b"diamond"), ["s1"], now=T)


def test_a_tampered_timestamp_is_refused() -> None:
    header = signature_header(["s1"], T, BODY).replace(f"t={T}", f"t={T + 60}")
    with pytest.raises(SignatureError):
        verify_signature(header, BODY, ["s1"], now=T + 60)


def test_an_unknown_secret_is_refused() -> None:
    header = signature_header(["someone-else"], T, BODY)
    with pytest.raises(SignatureError):
        verify_signature(header, BODY, ["s1"], now=T)


@pytest.mark.parametrize("age", [301, 3600, -301])
def test_a_timestamp_more_than_five_minutes_away_is_refused_as_a_replay(age: int) -> None:
    header = signature_header(["s1"], T, BODY)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(header, BODY, ["s1"], now=T + age)


def test_five_minutes_old_still_verifies() -> None:
    assert verify_signature(signature_header(["s1"], T, BODY), BODY, ["s1"], now=T + 300) == T


def test_during_a_rotation_both_secrets_sign_and_either_verifies() -> None:
    header = signature_header(["new", "old"], T, BODY)
    assert header.count("v1=") == 2
    assert verify_signature(header, BODY, ["old"], now=T) == T
    assert verify_signature(header, BODY, ["new"], now=T) == T


@pytest.mark.parametrize("header", ["", "v1=abc", f"t={T}", "t=soon,v1=abc", f"t={T},v2=abc"])
def test_malformed_headers_are_refused(header: str) -> None:
    with pytest.raises(SignatureError):
        verify_signature(header, BODY, ["s1"], now=T)


def _recipe() -> Any:
    """The Python recipe in docs/messaging.md, run as written."""
    text = (Path(__file__).resolve().parents[3] / "docs" / "messaging.md").read_text()
    block = text.split("<!-- verify-recipe -->", 1)[1].split("<!-- /verify-recipe -->", 1)[0]
    code = block.split("```python", 1)[1].rsplit("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/messaging.md", "exec"), namespace)  # noqa: S102 - our own docs
    return namespace["verify_patron_signature"]


def test_the_documented_recipe_agrees_with_the_verifier() -> None:
    verify = _recipe()
    header = signature_header(["new", "old"], T, BODY)
    assert verify(header, BODY, ["old"], now=T + 299) is True
    assert verify(header, BODY, ["new"], now=T) is True
    assert verify(header, BODY + b" ", ["new"], now=T) is False
    assert verify(header, BODY, ["other"], now=T) is False
    assert verify(header, BODY, ["new"], now=T + 301) is False
    assert verify("v1=abc", BODY, ["new"], now=T) is False
