"""Expiry is an exclusive instant (points earned in 2025 are gone from
2027-01-01 00:00): people are shown the last day they can use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import Client

from patron.core import clock
from patron.members.models import Member
from patron.points.models import EntryKind
from patron.points.services.ledger import Refs, account_lock, do_credit, local_midnight

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

pytestmark = pytest.mark.django_db


def _credit(member: Member, points: int, expires_at: dt.datetime) -> None:
    with transaction.atomic():
        do_credit(
            account_lock(member=member),
            points=points,
            kind=EntryKind.ADJUST,
            refs=Refs(reason_code="adjust", reason_params={"note": "t"}),
            expires_at=expires_at,
        )


def test_the_portal_shows_the_last_day_points_can_be_used(
    member: Member, member_client: Client
) -> None:
    clock.freeze(dt.datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI))
    _credit(member, 120, local_midnight(dt.date(2027, 1, 1)))  # usable through 2026-12-31
    _credit(member, 30, local_midnight(dt.date(2027, 2, 1)))

    home = member_client.get("/").content.decode()
    assert "120 积分有效期至 2026年12月31日" in home
    assert "2027年1月1日" not in home

    history = member_client.get("/points/").content.decode()
    assert "2026年12月31日" in history and "2027年1月31日" in history
    assert "2027年1月1日" not in history and "2027年2月1日" not in history
