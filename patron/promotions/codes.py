"""Coupon codes: random, unguessable, with a check character.

A code is 12 characters drawn with :mod:`secrets` from Crockford's base32
alphabet (no I, L, O or U, so it can be read aloud and typed from paper),
followed by one Luhn mod 32 check character. 60 random bits make guessing
hopeless; the check character turns a typo into "not a valid code" before any
database lookup, and catches every single-character error and most swaps of
neighbours.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {ch: i for i, ch in enumerate(ALPHABET)}
# What people type for the characters the alphabet leaves out.
_ALIASES = {"O": "0", "I": "1", "L": "1"}
BODY_LENGTH = 12
N = len(ALPHABET)


def check_character(body: str) -> str:
    """Luhn mod N over the body (rightmost character doubled first)."""
    factor = 2
    total = 0
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // N + addend % N
    return ALPHABET[(N - total % N) % N]


def is_valid(code: str) -> bool:
    if len(code) < 2 or any(ch not in _INDEX for ch in code):
        return False
    return check_character(code[:-1]) == code[-1]


def generate(body_length: int = BODY_LENGTH) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(body_length))
    return body + check_character(body)


def normalize(raw: str) -> str:
    """Upper-case, drop spaces and dashes, read O as 0 and I/L as 1."""
    text = "".join(ch for ch in raw.strip().upper() if ch not in " -")
    return "".join(_ALIASES.get(ch, ch) for ch in text)


def display(code: str) -> str:
    """ABCD-EFGH-JKMN-P: groups of four for people to read."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))
