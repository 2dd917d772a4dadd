"""Validation and masking of personal data (phone numbers, e-mail)."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email as django_validate_email


def normalize_phone(raw: str) -> str:
    """Return the E.164 form of a mainland China mobile or international number.

    A number without ``+`` is read as a mainland China number and must be a
    mobile (11 digits starting with 1). A number with ``+`` must be a valid
    E.164 number of any country.
    """
    text = raw.strip().replace(" ", "").replace("-", "")
    if not text:
        raise ValidationError("phone number is empty")
    region = None if text.startswith("+") else "CN"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("not a valid phone number")
    if number.country_code == 86:
        kind = phonenumbers.number_type(number)
        if kind not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise ValidationError("a mainland China number must be a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    text = raw.strip()
    django_validate_email(text)
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86 138****5678; keeps the first 3 and last 4 digits."""
    if not phone:
        return ""
    prefix = ""
    digits = phone
    if phone.startswith("+86"):
        prefix, digits = "+86 ", phone[3:]
    elif phone.startswith("+"):
        prefix, digits = "+", phone[1:]
    if len(digits) <= 7:
        return prefix + "*" * len(digits)
    return f"{prefix}{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(email: str) -> str:
    """zhang.wei@example.com -> z***@example.com"""
    if not email or "@" not in email:
        return email
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"


ADDRESS_KEPT_CHARACTERS = 6


def mask_address(address: str) -> str:
    """上海市浦东新区世纪大道100号 -> 上海市浦东新****

    Keeps the start (in Chinese addresses the province and city, enough to
    tell where a parcel goes) with any digit in it hidden too, so a phone
    number written first in the address does not show either."""
    text = " ".join(address.split())
    if not text:
        return ""
    kept = "".join("*" if ch.isdigit() else ch for ch in text[:ADDRESS_KEPT_CHARACTERS])
    if len(text) <= ADDRESS_KEPT_CHARACTERS:
        kept = ""
    return f"{kept}****"
