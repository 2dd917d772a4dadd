"""Same event id / same Idempotency-Key sent at once from real parallel connections.

Each thread has its own database connection (Django's are per thread); a
barrier releases them together so the inserts really collide.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from patron.core.models import IdempotencyRecord
from patron.core.tests.client import ApiClient
from patron.events import services as event_services
from patron.events.models import Event
from patron.events.tests.factories import event, paid_data
from patron.ingest import bulk
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.orders.models import Order, OrderLine
from patron.tiers.services.definitions import tiers_seed_defaults

THREADS = 8
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _canon(body: Any) -> str:
    # jsonb does not keep key order; the answers must be equal, not byte-equal
    return json.dumps(body, sort_keys=True)


def _race(send: Callable[[], Any]) -> list[tuple[int, Any, str | None]]:
    barrier = threading.Barrier(THREADS)
    answers: list[tuple[int, Any, str | None]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            response = send()
            with lock:
                answers.append(
                    (response.status_code, response.json(), response.get("Idempotent-Replayed"))
                )
        except BaseException as exc:  # surfaced below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(answers) == THREADS
    return answers


def test_same_event_id_in_parallel_applies_once(api: ApiClient, shop: Any):
    MemberFactory.create(shop=shop, external_id="M1")
    body = event("order.paid", paid_data("O1"), id="pay-race")

    answers = _race(lambda: ApiClient(api.token).post("/api/v1/events", body))

    # Every copy answers the first answer; all but one say they are replays.
    assert {(status, b["status"]) for status, b, _ in answers} == {(201, "applied")}
    assert sorted(str(replayed) for _, _, replayed in answers) == ["None"] + ["true"] * (
        THREADS - 1
    )
    assert len({_canon(b["result"]) for _, b, _ in answers}) == 1
    assert Event.objects.count() == 1
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2


def test_same_order_under_different_event_ids_in_parallel_records_one_order(
    api: ApiClient, shop: Any
):
    MemberFactory.create(shop=shop, external_id="M1")
    ids = iter(range(THREADS))
    lock = threading.Lock()

    def send() -> Any:
        with lock:
            n = next(ids)
        return ApiClient(api.token).post(
            "/api/v1/events", event("order.paid", paid_data("O1"), id=f"pay-{n}")
        )

    answers = _race(send)
    statuses = sorted(status for status, _, _ in answers)
    assert statuses == [201] + [409] * (THREADS - 1)
    assert {b["code"] for s, b, _ in answers if s == 409} == {"invalid_transition"}
    assert Order.objects.count() == 1
    assert Event.objects.count() == 1


def test_same_idempotency_key_on_events_in_parallel(api: ApiClient, shop: Any):
    MemberFactory.create(shop=shop, external_id="M1")
    body = event("order.paid", paid_data("O1"), id="pay-k")

    answers = _race(
        lambda: ApiClient(api.token).post(
            "/api/v1/events", body, headers={"Idempotency-Key": "key-1"}
        )
    )

    assert {status for status, _, _ in answers} == {201}
    assert len({_canon(b) for _, b, _ in answers}) == 1
    assert sorted(str(r) for _, _, r in answers) == ["None"] + ["true"] * (THREADS - 1)
    assert IdempotencyRecord.objects.count() == 1
    assert Order.objects.count() == 1


def test_same_idempotency_key_on_members_in_parallel(api: ApiClient, shop: Any):
    body = {"external_id": "M1", "name": "并发", "phone": "13812345678"}

    answers = _race(
        lambda: ApiClient(api.token).post(
            "/api/v1/members", body, headers={"Idempotency-Key": "member-1"}
        )
    )

    assert {status for status, _, _ in answers} == {201}
    assert len({_canon(b) for _, b, _ in answers}) == 1
    assert sorted(str(r) for _, _, r in answers) == ["None"] + ["true"] * (THREADS - 1)
    assert Member.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_same_member_without_a_key_in_parallel_creates_one(api: ApiClient, shop: Any):
    body = {"external_id": "M1", "name": "并发"}

    answers = _race(lambda: ApiClient(api.token).post("/api/v1/members", body))

    assert sorted(status for status, _, _ in answers) == [200] * (THREADS - 1) + [201]
    assert len({_canon(b) for _, b, _ in answers}) == 1
    assert Member.objects.count() == 1


def _opposite_batches(
    api: ApiClient, shop: Any, monkeypatch: Any, after_first: Callable[[], object]
) -> tuple[list[tuple[int, Any]], list[str]]:
    """Two batches touching members A and B in opposite orders, sent at once;
    ``after_first`` runs in each after its first event. Answers and the event
    ids as the pipeline ran them (twice for an aborted and retried batch)."""
    tiers_seed_defaults(shop=shop)  # before, so neither batch writes configuration
    MemberFactory.create(shop=shop, external_id="A")
    MemberFactory.create(shop=shop, external_id="B")
    state = threading.local()
    calls: list[str] = []
    real_ingest = event_services.event_ingest

    def ingest_then_pause(*, shop: Any, raw: Any, **kwargs: Any) -> Any:
        outcome = real_ingest(shop=shop, raw=raw, **kwargs)
        calls.append(raw["id"])
        if not getattr(state, "paused", False):
            state.paused = True
            after_first()
        return outcome

    monkeypatch.setattr(event_services, "event_ingest", ingest_then_pause)

    def review(member: str, n: int) -> dict[str, Any]:
        data = {"review_id": f"R-{member}-{n}"}
        return event("review.posted", data, member=member, id=f"{member}{n}")

    bodies = [
        {"events": [review("A", 1), review("B", 1)]},
        {"events": [review("B", 2), review("A", 2)]},
    ]
    start = threading.Barrier(2)
    answers: list[tuple[int, Any]] = []
    errors: list[BaseException] = []

    def send(body: dict[str, Any]) -> None:
        try:
            start.wait(timeout=10)
            response = ApiClient(api.token).post("/api/v1/events/batch", body)
            answers.append((response.status_code, response.json()))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(status for status, _ in answers) == [200, 200]
    assert all(r["status"] == "applied" for _, body in answers for r in body["results"])
    assert Event.objects.filter(shop=shop).count() == 4
    return answers, calls


def test_batches_sharing_members_queue_instead_of_deadlocking(
    api: ApiClient, shop: Any, monkeypatch: Any
):
    # Each batch locks all its members up front, in id order: the second waits
    # for the first to commit, so neither is aborted and nothing runs twice
    _, calls = _opposite_batches(api, shop, monkeypatch, after_first=lambda: time.sleep(0.5))
    assert len(calls) == 4


def test_batches_that_deadlock_anyway_are_retried_and_both_apply(
    api: ApiClient, shop: Any, monkeypatch: Any
):
    # Without the up-front locks (as with rows locked some other way), each
    # batch holds its first member when it reaches for the other's:
    # PostgreSQL aborts one, and it runs again once the other has committed
    monkeypatch.setattr(bulk, "lock_members_of", lambda **kwargs: None)
    both_started = threading.Barrier(2)
    _, calls = _opposite_batches(
        api, shop, monkeypatch, after_first=lambda: both_started.wait(timeout=20)
    )
    assert len(calls) > 4  # the aborted attempt's events ran again
