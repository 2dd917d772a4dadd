"""Schemathesis over the whole shop API: every operation of the OpenAPI
document, a bounded, derandomized number of generated requests each, sent
with a real API key of a seeded shop. The answers must not be server errors
and must match the document: status code, content type and body schema.

See docs/decisions/openapi-fuzzing.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
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
from patron.events.api import EXAMPLES
from patron.promotions.models import CouponTemplate, FlashSale
from patron.rewards.models import Reward
from patron.tiers.services.definitions import tiers_seed_defaults

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

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
    }
)

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", WSGIHandler(), config=CONFIG)

NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def seed_shop() -> Shop:
    """A shop with tiers, the member of the documented examples with a paid
    order, a claimable coupon, a live and a coming flash sale, a reward."""
    shop = Shop.objects.create(name="Fuzz Shop")
    tiers_seed_defaults(shop=shop)
    for event_type in ("member.registered", "order.paid", "review.posted"):
        event_services.event_ingest(shop=shop, raw=EXAMPLES[event_type])
    template = CouponTemplate.objects.create(
        shop=shop,
        code="welcome",
        name="Welcome ¥10",
        type="fixed",
        amount=1000,
        claimable=True,
        per_member_limit=1,
        created_at=NOW,
    )
    for starts in (NOW - dt.timedelta(hours=1), NOW + dt.timedelta(days=1)):
        FlashSale.objects.create(
            shop=shop,
            name="Flash",
            template=template,
            quantity=5,
            starts_at=starts,
            ends_at=starts + dt.timedelta(days=2),
        )
    Reward.objects.create(shop=shop, name="Tea cup", kind="other", points_price=10, created_at=NOW)
    return shop


@pytest.fixture
def token(db: Any) -> str:
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
