from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from patron.core.pii import mask_email, mask_phone, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),
        (" 138-1234-5678 ", "+8613812345678"),
        ("138 1234 5678", "+8613812345678"),
        ("+8613812345678", "+8613812345678"),
        ("+447911123456", "+447911123456"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_normalize_phone_accepts_mobiles_and_e164(raw: str, e164: str):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("02012345678", "mainland China number must be a mobile"),  # Guangzhou landline
        ("+862012345678", "mainland China number must be a mobile"),
        ("", "empty"),
        ("   ", "empty"),
        ("hello", "not a phone number"),
        ("12345", "not a valid phone number"),
        ("+44", "not a phone number"),
        ("1381234567", "not a valid phone number"),  # one digit short
        ("+999123456789", "not a"),
    ],
)
def test_normalize_phone_refuses_landlines_and_garbage(raw: str, message: str):
    with pytest.raises(ValidationError) as exc:
        normalize_phone(raw)
    assert message in exc.value.messages[0]


def test_normalize_email_lowercases_domain_only():
    assert normalize_email(" Zhang.Wei@Example.COM ") == "Zhang.Wei@example.com"


@pytest.mark.parametrize("raw", ["", "no-at-sign", "a@", "@b.com", "a b@c.com"])
def test_normalize_email_refuses_garbage(raw: str):
    with pytest.raises(ValidationError):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613812345678", "+86 138****5678"),
        ("+447911123456", "+447*****3456"),
        ("+1234567", "+*******"),
        ("", ""),
    ],
)
def test_mask_phone_keeps_first_three_and_last_four(phone: str, masked: str):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("zhang.wei@example.com", "z***@example.com"),
        ("a@b.cn", "a***@b.cn"),
        ("", ""),
        ("not-an-email", "not-an-email"),
    ],
)
def test_mask_email(email: str, masked: str):
    assert mask_email(email) == masked
