"""Every model change has its migration (a fresh clone's migrate builds exactly
the schema the code expects)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_no_model_change_lacks_a_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # makemigrations --check exits 1 when one is missing
        pytest.fail(f"missing migrations (exit {exc.code}):\n{out.getvalue()}")
