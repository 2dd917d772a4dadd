"""Schemathesis over the whole shop API: every operation of the OpenAPI
document, a bounded, derandomized number of generated requests each, sent
with a real API key of a seeded shop. The answers must not be server errors
and must match the document: status code, content type and body schema."""

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

from patron.core import clock
from patron.core import services as core_services
from patron.core.models import ApiScope, Shop

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": 15, "deterministic": True, "database": "none",
                       "with-security-parameters": False},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)

_app = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", _app, config=CONFIG)


@pytest.fixture
def token(db: Any) -> str:
    clock.freeze(dt.datetime(2026, 5, 20, 2, 0, tzinfo=dt.UTC))
    shop = Shop.objects.create(name="Fuzz Shop")
    return core_services.api_key_create(shop=shop, name="fuzz", scopes=ApiScope.values).token


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_operation(case: schemathesis.Case, token: str) -> None:
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
    case.call_and_validate(checks=CHECKS)
