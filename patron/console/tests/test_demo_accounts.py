"""The demo accounts ``make run`` prints are the ones the seed creates."""

from __future__ import annotations

import re

from patron.core.demo import DEMO_ACCOUNTS_TEXT, DEMO_OPERATORS


def test_the_printed_demo_accounts_name_every_seeded_operator() -> None:
    for username, _role, _superuser in DEMO_OPERATORS:
        assert re.search(rf"\s{username}\s+->", DEMO_ACCOUNTS_TEXT), username
