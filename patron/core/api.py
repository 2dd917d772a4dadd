"""Web-layer helpers shared by every app's router: API-key auth, scopes,
Idempotency-Key handling."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict, Field

from patron.core import clock, services
from patron.core.conflicts import run_retrying
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.middleware import encode_json, problem_response
from patron.core.models import ApiKey, ApiScope, Shop
from patron.core.validation import field_path, pydantic_message


class ApiKeyAuth(HttpBearer):
    """The caller's API key; with a ``scope``, a key without it gets 403.

    Every operation names its scope here (``auth=ApiKeyAuth(ApiScope...)``),
    so the refusal comes before django-ninja reads the body or the path: a
    key without the scope gets 403 whatever it sends, never a 422 that tells
    it how to shape a request it may not make.
    """

    openapi_scheme = "bearer"

    def __init__(self, scope: ApiScope | None = None) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        key = services.api_key_authenticate(token)
        if key is None:
            return None
        if self.scope is not None and self.scope.value not in key.scopes:
            raise _lacks(self.scope)
        now = clock.now()
        if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
            # Recorded at most once a minute so hot paths don't write per call.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return key


def shop_for(request: HttpRequest, scope: ApiScope) -> Shop:
    """The caller's shop, if its key carries ``scope``; 403 otherwise."""
    key: ApiKey = request.auth  # type: ignore[attr-defined]
    if scope.value not in key.scopes:
        raise _lacks(scope)
    return key.shop


def validation_problem(exc: ValidationError) -> PatronError:
    """ninja's refusal of a body, query or path parameter as one problem naming
    the field (for the shop API and the console API alike)."""
    errors = []
    for err in exc.errors:
        loc = list(err.get("loc", []))
        # ninja prefixes the location with where the value came from and the
        # parameter name ("body", "payload", ...); the client knows neither.
        if loc and loc[0] in {"body", "query", "path", "header", "form"}:
            loc = loc[1:]
            if loc and loc[0] == "payload":
                loc = loc[1:]
        errors.append({"field": field_path(loc) or "body", "message": pydantic_message(err)})
    first = errors[0] if errors else {"field": "", "message": _("invalid input")}
    return PatronError(
        ErrorCode.VALIDATION_ERROR,
        lazy_format(_("%(field)s: %(message)s"), field=first["field"], message=first["message"]),
        field=str(first["field"]),
        errors=errors,
    )


def problem_handlers_add(api: NinjaAPI) -> None:
    """Answer a ``PatronError`` and a request that fails validation as
    problem+json, on this API."""

    @api.exception_handler(PatronError)
    def _patron_error(request: HttpRequest, exc: PatronError) -> HttpResponse:
        return problem_response(exc, request.path)

    @api.exception_handler(ValidationError)
    def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problem_response(validation_problem(exc), request.path)


def _lacks(scope: ApiScope) -> PatronError:
    return PatronError(
        ErrorCode.FORBIDDEN,
        lazy_format(_("this API key lacks the scope %(value)s"), value=repr(scope.value)),
        status=403,
    )


def json_response(status: int, body: Any, *, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(encode_json(body), status=status, content_type="application/json")
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# A handler's answer: (status, body), or (status, body, replayed) when the
# handler itself recognised a retry by the request's own key (an event id, a
# reserve's order id, a redemption's request id) and answers the first result.
Answer = tuple[int, Any] | tuple[int, Any, bool]


def with_idempotency(
    request: HttpRequest, shop: Shop, handler: Callable[[], Answer]
) -> HttpResponse:
    """Run a state-changing handler, once per Idempotency-Key when one is sent,
    again if the database aborted it to break a deadlock (``core.conflicts``).

    Every replay answers alike, whether it was recognised by the
    Idempotency-Key or by the request's own key: the first status code and
    body, with ``Idempotent-Replayed: true``."""
    recognised = False

    def run() -> tuple[int, Any]:
        nonlocal recognised
        answer = handler()
        recognised = len(answer) == 3 and bool(answer[2])
        return answer[0], answer[1]

    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = run_retrying(run)
        return json_response(status, body, replayed=recognised)
    status, body, replayed = run_retrying(
        lambda: services.idempotent_call(
            shop=shop,
            key=key,
            method=request.method or "POST",
            path=request.path,
            body=request.body,
            handler=run,
        )
    )
    return json_response(status, body, replayed=replayed or recognised)


class ProblemFieldError(Schema):
    """One failing input: where, and what is wrong with it."""

    model_config = ConfigDict(extra="allow")

    field: str | None = Field(None, description="the failing field, e.g. lines[0].sku")
    message: str


class Problem(Schema):
    """An RFC 9457 problem document; every 4xx and 5xx answer of the API is one,
    served as ``application/problem+json``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://patron.dev/problems/validation_error",
                    "title": "Invalid input",
                    "status": 422,
                    "detail": "lines[0].quantity: Input should be greater than 0",
                    "code": "validation_error",
                    "field": "lines[0].quantity",
                    "errors": [
                        {
                            "field": "lines[0].quantity",
                            "message": "Input should be greater than 0",
                        }
                    ],
                    "instance": "/api/v1/checkout/evaluate",
                }
            ]
        },
    )

    type: str = Field(description="a URI naming the problem type")
    title: str
    status: int = Field(description="the HTTP status code of the answer")
    detail: str = Field(description="what went wrong in this request")
    code: str = Field(
        description="machine-readable; one of: " + ", ".join(code.value for code in ErrorCode)
    )
    field: str | None = Field(None, description="the first failing field, when one is to blame")
    errors: list[ProblemFieldError] = Field(default_factory=list, description="every failing field")
    instance: str | None = Field(None, description="the request path")
