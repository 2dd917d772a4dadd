"""Checkout benchmark: cart evaluation over HTTP, and a flash sale under a crowd.

1. ``POST /api/v1/checkout/evaluate`` against gunicorn (2 workers, as ``patron
   serve`` runs it) for a member holding 20 coupons of every type and stacking
   group, with a 30-line cart, shipping and points: p50, p99 and requests/s
   from one client, then from four at once.
2. A flash sale of 1,000 coupons claimed by 5,000 attempts (5,000 members)
   from 16 connections at once: claims/s and exactly 1,000 issued, beside a
   raw baseline of plain SQL transactions that update an account row and
   insert a ledger row from 8 connections (the floor of any write path here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

COUPONS = 20
LINES = 30
FLASH_QUANTITY = 1_000
FLASH_ATTEMPTS = 5_000
FLASH_CONNECTIONS = 16
BASELINE_CONNECTIONS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
    return ordered[index]


def _setup_checkout() -> tuple[str, dict[str, Any]]:
    from django.db import transaction

    from patron.core import clock
    from patron.core import services as core_services
    from patron.core.models import ApiScope, Shop
    from patron.members.models import Member
    from patron.points.models import EntryKind
    from patron.points.services import ledger
    from patron.promotions import services as promotion_services
    from patron.promotions.models import CouponSource, CouponTemplate

    now = clock.now()
    shop = Shop.objects.create(name="Bench checkout shop")
    token = core_services.api_key_create(shop=shop, name="bench", scopes=[ApiScope.CHECKOUT]).token
    member = Member.objects.create(
        shop=shop, external_id="BENCH-1", registered_at=now, created_at=now, updated_at=now
    )
    rng = random.Random(7)
    categories = ["shoes", "bags", "tops", "pants", "hats", "socks"]
    kinds = [
        {"type": "threshold", "amount": 5000, "threshold": 30000},
        {"type": "threshold", "amount": 2000, "threshold": 10000, "repeating": True},
        {"type": "percent", "percent": 10, "max_discount": 8000},
        {"type": "fixed", "amount": 1500},
        {"type": "free_shipping", "threshold": 9900},
    ]
    groups = ["order", "platform", "shop", "category", "shipping"]
    for i in range(COUPONS):
        kind = dict(kinds[i % len(kinds)])
        scope: dict[str, Any] = {}
        if i % 3 == 1:
            scope["categories"] = rng.sample(categories, 2)
        elif i % 3 == 2:
            scope["skus"] = [f"SKU-{rng.randrange(LINES)}" for _ in range(5)]
        group = "shipping" if kind["type"] == "free_shipping" else groups[i % 4]
        template = CouponTemplate.objects.create(
            shop=shop,
            code=f"bench-{i}",
            name=f"券 {i}",
            stacking_group=group,
            exclusive=i == 7,
            per_member_limit=0,
            created_at=now,
            **kind,
            **scope,
        )
        promotion_services.coupon_issue(
            template=template, member=member, source=CouponSource.OPERATOR
        )
    with transaction.atomic():
        account = ledger.account_lock(member=member)
        ledger.do_credit(
            account,
            points=200_000,
            kind=EntryKind.ADJUST,
            refs=ledger.Refs(reason_code="bench"),
            expires_at=None,
        )
    cart = {
        "member": member.external_id,
        "lines": [
            {
                "line_id": str(i),
                "sku": f"SKU-{i}",
                "category": categories[i % len(categories)],
                "quantity": 1 + i % 3,
                "unit_price": rng.randrange(990, 39900),
            }
            for i in range(LINES)
        ],
        "shipping_fee": 1200,
        "points": 5000,
    }
    return token, cart


def _client_loop(
    port: int, token: str, body: bytes, n: int, latencies: list[float], errors: list[int]
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for _ in range(n):
        started = time.perf_counter()
        conn.request("POST", "/api/v1/checkout/evaluate", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            errors.append(response.status)
    conn.close()


def _evaluate_over_http(args: argparse.Namespace) -> dict[str, Any]:
    token, cart = _setup_checkout()
    body = json.dumps(cart).encode()
    port = _free_port()
    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "patron.settings", "DB_CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [
            os.path.join(bindir, "gunicorn"),
            "patron.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Warm both workers (imports, connections) before measuring.
        _client_loop(port, token, body, 20, [], [])
        answer = _answer(port, token, body)
        n = max(20, int(400 * args.scale))
        one: list[float] = []
        errors: list[int] = []
        started = time.perf_counter()
        _client_loop(port, token, body, n, one, errors)
        one_rps = n / (time.perf_counter() - started)
        four: list[float] = []
        threads = [
            threading.Thread(target=_client_loop, args=(port, token, body, n // 4, four, errors))
            for _ in range(4)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        four_rps = len(four) / (time.perf_counter() - started)
    finally:
        server.terminate()
        server.wait(timeout=10)
    return {
        "n": n,
        "p50": statistics.median(one) * 1000,
        "p99": _percentile(one, 99) * 1000,
        "rps": one_rps,
        "p50_4": statistics.median(four) * 1000,
        "p99_4": _percentile(four, 99) * 1000,
        "rps_4": four_rps,
        "errors": len(errors),
        "best": answer["best_combination"],
        "applicable": sum(1 for c in answer["coupons"] if c["applicable"]),
        "total": answer["total"],
    }


def _answer(port: int, token: str, body: bytes) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/api/v1/checkout/evaluate",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    data: dict[str, Any] = json.loads(conn.getresponse().read())
    conn.close()
    return data


def _flash_sale(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from patron.core import clock
    from patron.core.errors import PatronError
    from patron.core.models import Shop
    from patron.members.models import Member
    from patron.promotions import services
    from patron.promotions.models import Coupon, CouponTemplate, FlashSale

    now = clock.now()
    shop = Shop.objects.create(name="Bench flash shop")
    attempts = max(FLASH_CONNECTIONS * 10, int(FLASH_ATTEMPTS * args.scale))
    quantity = max(10, int(FLASH_QUANTITY * args.scale))
    Member.objects.bulk_create(
        Member(
            shop=shop,
            external_id=f"F{i:05d}",
            registered_at=now,
            created_at=now,
            updated_at=now,
        )
        for i in range(attempts)
    )
    members = list(Member.objects.filter(shop=shop).order_by("pk"))
    template = CouponTemplate.objects.create(
        shop=shop, code="flash", name="秒杀券", type="fixed", amount=2000, created_at=now
    )
    sale = FlashSale.objects.create(
        shop=shop,
        name="Bench flash sale",
        template=template,
        quantity=quantity,
        starts_at=now,
        ends_at=now + dt.timedelta(hours=1),
        per_member_limit=1,
    )
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(FLASH_CONNECTIONS)

    def worker(k: int) -> None:
        mine: dict[str, int] = {}
        try:
            barrier.wait()
            for member in members[k::FLASH_CONNECTIONS]:
                try:
                    services.flash_sale_claim(sale=sale, member=member)
                    mine["issued"] = mine.get("issued", 0) + 1
                except PatronError as error:
                    mine[error.code.value] = mine.get(error.code.value, 0) + 1
        finally:
            connection.close()
            with lock:
                for key, value in mine.items():
                    outcomes[key] = outcomes.get(key, 0) + value

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(FLASH_CONNECTIONS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    issued = Coupon.objects.filter(template=template).count()
    claimed = FlashSale.objects.get(pk=sale.pk).claimed_count
    return {
        "attempts": attempts,
        "quantity": quantity,
        "seconds": took,
        "per_second": attempts / took,
        "issued": issued,
        "claimed": claimed,
        "outcomes": outcomes,
    }


def _baseline(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = (
        f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} "
        f"dbname={db['NAME']} user={db['USER']}"
        + (f" password={db['PASSWORD']}" if db["PASSWORD"] else "")
    )
    accounts = 10_000
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_cash_account (id int PRIMARY KEY, balance bigint)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_cash_ledger (id bigserial PRIMARY KEY, "
            "account_id int, delta bigint, at timestamptz)"
        )
        conn.execute("TRUNCATE bench_cash_account, bench_cash_ledger")
        conn.execute(
            "INSERT INTO bench_cash_account SELECT g, 1000000 FROM generate_series(1, %s) g",
            (accounts,),
        )
    per_connection = max(50, int(2000 * args.scale))
    barrier = threading.Barrier(BASELINE_CONNECTIONS)

    def worker(k: int) -> None:
        rng = random.Random(k)
        with psycopg.connect(dsn) as conn:
            barrier.wait()
            for _ in range(per_connection):
                account = rng.randrange(1, accounts + 1)
                with conn.transaction():
                    conn.execute(
                        "UPDATE bench_cash_account SET balance = balance - 1 "
                        "WHERE id = %s AND balance >= 1",
                        (account,),
                    )
                    conn.execute(
                        "INSERT INTO bench_cash_ledger (account_id, delta, at) "
                        "VALUES (%s, -1, now())",
                        (account,),
                    )

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(BASELINE_CONNECTIONS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.perf_counter() - started
    total = per_connection * BASELINE_CONNECTIONS
    return {"transactions": total, "per_second": total / took}


def run(args: argparse.Namespace) -> str:
    h = _evaluate_over_http(args)
    flash = _flash_sale(args)
    base = _baseline(args)
    outcomes = ", ".join(f"{k} {v:,}" for k, v in sorted(flash["outcomes"].items()))
    exact = "yes" if flash["issued"] == flash["quantity"] == flash["claimed"] else "**NO**"
    best = h["best"]
    rows = [
        "| clients | requests | p50 | p99 | requests/s |",
        "|---|---:|---:|---:|---:|",
        f"| 1 | {h['n']:,} | {h['p50']:.1f} ms | {h['p99']:.1f} ms | {h['rps']:.0f} |",
        f"| 4 | {h['n'] // 4 * 4:,} | {h['p50_4']:.1f} ms | {h['p99_4']:.1f} ms "
        f"| {h['rps_4']:.0f} |",
    ]
    claims = f"{flash['attempts']:,} in {flash['seconds']:.1f} s"
    flash_rows = [
        "| path | connections | work | per second |",
        "|---|---:|---:|---:|",
        f"| flash-sale claims (all attempts) | {FLASH_CONNECTIONS} | {claims} "
        f"| {flash['per_second']:,.0f} |",
        "| baseline: plain SQL `UPDATE` account + `INSERT` ledger row, one transaction "
        f"| {BASELINE_CONNECTIONS} | {base['transactions']:,} | {base['per_second']:,.0f} |",
    ]
    table = "\n".join(rows)
    flash_table = "\n".join(flash_rows)
    return f"""## Checkout (promotions)

### `POST /api/v1/checkout/evaluate` over HTTP

A member holding {COUPONS} coupons (every type; 5 stacking groups, one exclusive;
scoped by category and SKU), a {LINES}-line cart with shipping and 5,000 points;
gunicorn with 2 sync workers on this machine. The exact best-combination
search runs on every request. Answer: {h["applicable"]} coupons applicable, best
combination {len(best["codes"])} coupons worth ¥{best["discount"] / 100:,.2f}.

{table}

Non-200 answers: {h["errors"]}.

### Flash sale under a crowd

{flash["quantity"]:,} coupons, {flash["attempts"]:,} claims by as many members from
{FLASH_CONNECTIONS} connections at once (`flash_sale_claim`: member row lock,
conditional `UPDATE ... WHERE claimed_count < quantity`, coupon insert, claim row).

{flash_table}

Outcomes: {outcomes}. Coupons issued: {flash["issued"]:,}; sale counter
{flash["claimed"]:,}; exactly the offered quantity: {exact}.
"""
