"""Schemathesis over the whole shop API: every operation of the OpenAPI
document, a bounded, derandomized number of generated requests each, sent
with a real API key of a seeded shop. The answers must not be server errors
and must match the document: status code, content type and body schema.

See docs/decisions/openapi-fuzzing.md."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from patron.api_docs import EXAMPLE_MEMBER
from patron.core import clock
from patron.core import services as core_services
from patron.core.models import ApiScope, Shop
from patron.events import services as event_services
from patron.ingest.api import EXAMPLES
from patron.members.models import Member
from patron.promotions.models import CouponTemplate, FlashSale
from patron.promotions.tests.conftest import give_points
from patron.rewards.models import Reward
from patron.rules import services as rule_services
from patron.tiers.services.definitions import tiers_seed_defaults

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# Fixed ids for the seeded objects, so the generator can name them (far above
# what the database's sequences hand out in a test run).
TEMPLATE = "welcome"
SALE_IDS = (900001, 900002)
REWARD_ID = 900001

# Bounded and derandomized: the same requests on every run, about two
# minutes for the whole document on one core.
MAX_EXAMPLES = 15
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "with-security-parameters": False,
        },
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        # Half the generated requests name the seeded member, so answers on
        # the success path are checked too, not only "unknown member".
        # Half the generated requests name the seeded member (and its
        # coupon template, flash sales, reward), so answers on the success
        # path are checked too, not only "not found".
        "dictionaries": {
            "members": {"values": [EXAMPLE_MEMBER]},
            "templates": {"values": [TEMPLATE]},
            "sales": {"values": list(SALE_IDS)},
            "rewards": {"values": [REWARD_ID]},
        },
        "parameters": {
            "path.external_id": {"dictionary": "members", "probability": 0.5},
            "body.member": {"dictionary": "members", "probability": 0.5},
            "body.template": {"dictionary": "templates", "probability": 0.5},
            "path.sale_id": {"dictionary": "sales", "probability": 0.5},
            "body.reward_id": {"dictionary": "rewards", "probability": 0.5},
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler(), config=CONFIG)

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def seed_shop() -> Shop:
    """A shop with tiers and an earning rule, the member of the documented
    examples with a paid order and 1,000 points to spend, a claimable coupon template,
    a live and a coming flash sale, a reward."""
    shop = Shop.objects.create(name="Fuzz Shop")
    tiers_seed_defaults(shop=shop)
    rule_services.rule_create(
        shop=shop, name="1 point a yuan", trigger="order.paid", fields={"points_per_yuan": 1}
    )
    for event_type in ("member.registered", "order.paid", "review.posted"):
        event_services.event_ingest(shop=shop, raw=EXAMPLES[event_type])
    give_points(Member.objects.get(shop=shop, external_id=EXAMPLE_MEMBER), 1000)
    template = CouponTemplate.objects.create(
        shop=shop,
        code=TEMPLATE,
        name="Welcome ¥10",
        type="fixed",
        amount=1000,
        claimable=True,
        per_member_limit=1,
        created_at=NOW,
    )
    starts = (NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=1))
    for sale_id, starts_at in zip(SALE_IDS, starts, strict=True):
        FlashSale.objects.create(
            pk=sale_id,
            shop=shop,
            name="Flash",
            template=template,
            quantity=5,
            starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(days=2),
        )
    Reward.objects.create(
        pk=REWARD_ID, shop=shop, name="Tea cup", kind="other", points_price=10, created_at=NOW
    )
    return shop


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Django closes a connection at the end of a request when it is not in
    autocommit (as inside the test's transaction); its test client stops
    that, and so must a request sent through the WSGI handler."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db: Any, keep_connection: None) -> str:
    clock.freeze(NOW)
    shop = seed_shop()
    return core_services.api_key_create(shop=shop, name="fuzz", scopes=ApiScope.values).token


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_operation(case: schemathesis.Case, token: str) -> None:
    case.headers["Authorization"] = f"Bearer {token}"
    case.call_and_validate(checks=CHECKS)


def test_seeded_member_is_the_documented_example(token: str) -> None:
    assert EXAMPLES["order.paid"]["member"] == EXAMPLE_MEMBER
