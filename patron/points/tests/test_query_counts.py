"""Query-count pin on the balance read (GET /api/v1/members/{id}/points): a
fixed number of queries however many lots the member holds. A change that
adds a query per lot fails here; a deliberate change updates the pin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from patron.core import clock
from patron.members.models import Member
from patron.points.models import EntryKind
from patron.points.services import ledger

# Measured on SQLite and PostgreSQL alike (the API key's check included).
BALANCE_QUERIES = 5


def _lots(member: Member, n: int) -> None:
    for i in range(n):
        with transaction.atomic():
            account = ledger.account_lock(member=member)
            ledger.do_credit(
                account,
                points=100,
                kind=EntryKind.ADJUST,
                refs=ledger.Refs(reason_code="test_grant"),
                expires_at=clock.now() + dt.timedelta(days=30 * (i + 1)),
            )


@pytest.mark.parametrize("lots", [1, 5])
def test_the_balance_read_costs_a_fixed_number_of_queries(api, member, program, lots) -> None:
    _lots(member, lots)
    with CaptureQueriesContext(connection) as captured:
        response = api.get(f"/api/v1/members/{member.external_id}/points")
    assert response.status_code == 200
    assert len(captured.captured_queries) == BALANCE_QUERIES
