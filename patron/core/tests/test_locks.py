"""core.locks.insert_or_first: the insert, or the row that won the conflict;
``then`` stands or falls with the insert, and its own IntegrityError is not a
conflict."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from patron.core import clock
from patron.core.locks import insert_or_first
from patron.core.models import IdempotencyRecord, Shop


def _insert(shop: Shop, key: str) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        shop=shop, key=key, method="POST", path="/x", request_hash="h", created_at=clock.now()
    )


def _first(shop: Shop, key: str) -> IdempotencyRecord:
    return IdempotencyRecord.objects.get(shop=shop, key=key)


@pytest.mark.django_db
def test_the_insert_then_on_conflict_the_first_row_and_then_runs_only_with_the_insert(
    shop: Shop,
) -> None:
    ran: list[int] = []
    with transaction.atomic():
        row, created = insert_or_first(
            lambda: _insert(shop, "k"), lambda: _first(shop, "k"), then=lambda r: ran.append(r.pk)
        )
        again, created_again = insert_or_first(
            lambda: _insert(shop, "k"), lambda: _first(shop, "k"), then=lambda r: ran.append(-1)
        )
    assert created and not created_again
    assert again.pk == row.pk
    assert ran == [row.pk]


@pytest.mark.django_db
def test_an_integrity_error_of_then_is_not_taken_for_a_conflict(shop: Shop) -> None:
    def then(row: IdempotencyRecord) -> None:
        _insert(shop, "other")
        _insert(shop, "other")  # its own unique conflict, after the insert

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_or_first(lambda: _insert(shop, "k"), lambda: _first(shop, "k"), then=then)
    assert not IdempotencyRecord.objects.filter(shop=shop).exists()
