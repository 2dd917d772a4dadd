"""The service desk's reads, as the console serves them (part of bench.service).

Each read is a GET of the console page through Django's test client, signed
in as the agent: the middleware (session, user, current shop, permissions),
the view's queries (the pager's count, the member panel beside a ticket) and
the template's rendering, all of which the agent waits for. A request is
timed from the client's call to the rendered response.

The ticket viewed is the agent's own, with 200 timeline entries (one in ten
with an attachment); its member has a tier and recent orders with lines, so
the member panel shows what it shows at a real desk.
"""

from __future__ import annotations

import datetime as dt
import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENTRIES = 200
ORDERS = 8
LINES = 3
SAMPLES = 200
WARM_UP = 10


def _exec(sql: str, params: Any = None) -> None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)


def desk_data(*, shop_id: int, agent_id: int, start: dt.datetime, at: dt.datetime) -> int:
    """Tiers for every member, the timeline of the agent's first ticket and
    its member's orders; returns that ticket's number."""
    from patron.core.models import Shop
    from patron.orders.models import Order, OrderLine
    from patron.tiers.models import Tier
    from patron.tiers.services.definitions import tiers_seed_defaults

    tiers_seed_defaults(shop=Shop.objects.get(pk=shop_id))
    tiers = list(Tier.objects.filter(shop_id=shop_id).order_by("rank").values_list("pk", flat=True))
    # members in turn in each tier, as the list's tier column shows them
    _exec(
        """
        INSERT INTO tiers_membertier (member_id, shop_id, tier_id, since, updated_at)
        SELECT m.id, m.shop_id, (%s::bigint[])[1 + m.id %% %s], %s, %s
        FROM members_member m WHERE m.shop_id = %s
        """,
        [tiers, len(tiers), start, start, shop_id],
    )
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT id, number, member_id FROM service_ticket "
            "WHERE shop_id = %s AND assignee_id = %s ORDER BY id LIMIT 1",
            [shop_id, agent_id],
        )
        ticket_id, number, member_id = cur.fetchone()
    _exec(
        """
        INSERT INTO service_ticketentry (shop_id, ticket_id, kind, channel, author_id, body,
            data, external_id, created_at)
        SELECT %s, %s, CASE WHEN i %% 2 = 0 THEN 'reply' ELSE 'member' END, 'chat',
            CASE WHEN i %% 2 = 0 THEN %s ELSE NULL END, 'message ' || i, '{}'::jsonb, '',
            %s::timestamptz + make_interval(mins => i)
        FROM generate_series(1, %s) AS i
        """,
        [shop_id, ticket_id, agent_id, at - dt.timedelta(days=1), ENTRIES],
    )
    _exec(
        """
        INSERT INTO service_attachment (entry_id, file, name, content_type, size, created_at)
        SELECT id, 'service/2026/12/photo-' || id || '.jpg', 'photo-' || id || '.jpg',
            'image/jpeg', 120000, created_at
        FROM service_ticketentry WHERE ticket_id = %s AND id %% 10 = 0
        """,
        [ticket_id],
    )
    orders = Order.objects.bulk_create(
        Order(
            shop_id=shop_id,
            member_id=member_id,
            external_id=f"SO-{member_id}-{i}",
            status="completed",
            items_amount=29900,
            paid_amount=29900,
            placed_at=at - dt.timedelta(days=3 * i + 1),
            updated_at=at,
        )
        for i in range(ORDERS)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_id=str(n),
            sku=f"SKU-{n}",
            name=f"保温杯 {n}",
            quantity=1,
            unit_price=9900,
            paid_amount=9900,
        )
        for order in orders
        for n in range(LINES)
    )
    for table in ("service_ticketentry", "service_attachment", "tiers_membertier"):
        _exec(f"VACUUM ANALYZE {table}")
    return int(number)


@dataclass
class Read:
    name: str
    median_ms: float
    p99_ms: float
    queries: int
    gc_runs: int
    gc_max_ms: float


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def measure(name: str, get: Callable[[], Any]) -> Read:
    """``get`` WARM_UP times, then SAMPLES timed runs; the garbage
    collector runs as usual, and its runs during the samples are counted."""
    from django.db import connection

    for _ in range(WARM_UP):
        get()
    queries = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        get()
    pauses: list[float] = []
    started_gc = 0.0

    def on_gc(phase: str, info: dict[str, int]) -> None:
        nonlocal started_gc
        if phase == "start":
            started_gc = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started_gc)

    samples = []
    gc.callbacks.append(on_gc)
    try:
        for _ in range(SAMPLES):
            started = time.perf_counter()
            get()
            samples.append(time.perf_counter() - started)
    finally:
        gc.callbacks.remove(on_gc)
    return Read(
        name=name,
        median_ms=statistics.median(samples) * 1000,
        p99_ms=_p99(samples),
        queries=queries,
        gc_runs=len(pauses),
        gc_max_ms=max(pauses, default=0.0) * 1000,
    )


def desk_reads(*, user: Any, number: int) -> list[Read]:
    """The agent's desk list (as it opens, and narrowed to the tickets not
    solved yet) and the ticket page, each through the console."""
    from django.test import Client, override_settings

    # A web worker freezes what it loaded to start (patron/wsgi.py); so does
    # the bench, with what it generated, before serving the pages.
    gc.collect()
    gc.freeze()
    client = Client()
    client.force_login(user)
    pages = [
        ("desk list (as it opens)", "/console/service/", 'data-testid="desk-tickets"'),
        ("desk list, not solved yet", "/console/service/?status=active", "next-page"),
        (f"ticket page, {ENTRIES} entries", f"/console/service/tickets/{number}/", "SO-"),
    ]
    reads = []
    with override_settings(ALLOWED_HOSTS=["testserver"]):
        for name, url, mark in pages:

            def get(url: str = url, mark: str = mark) -> None:
                response = client.get(url)
                assert response.status_code == 200 and mark.encode() in response.content, url

            reads.append(measure(name, get))
    gc.unfreeze()
    return reads
