"""The shop API: one NinjaAPI that mounts every app's router under /api/v1/.

Every error leaves here as RFC 9457 problem+json with a machine-readable code
and the failing field; nothing a client sends can produce a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.openapi.schema import OpenAPISchema

from patron import api_docs
from patron.assistant.api import router as assistant_router
from patron.core.api import ApiKeyAuth, problem_handlers_add
from patron.core.errors import ErrorCode, PatronError, code_for_status
from patron.core.middleware import problem_response
from patron.ingest.api import router as events_router
from patron.members.api import router as members_router
from patron.messaging.api import messages_router, preferences_router
from patron.messaging.webhooks.api import router as webhooks_router
from patron.points.api import router as points_router
from patron.promotions.api import checkout_router, flash_sales_router
from patron.promotions.api import members_router as coupons_router
from patron.rewards.api import members_router as redemptions_router
from patron.rewards.api import rewards_router
from patron.service.api import router as service_router
from patron.service.api_order_changes import router as service_changes_router
from patron.service.api_returns import router as service_returns_router
from patron.tiers.api import router as tiers_router

logger = logging.getLogger("patron.api")


class ShopApi(NinjaAPI):
    """The NinjaAPI whose OpenAPI document also tells the problem+json answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        api_docs.complete(document)
        return document


api = ShopApi(
    title="Patron shop API",
    version="1",
    description="Members, events, points, tiers and checkout for shops plugged into Patron. "
    "Authenticate with `Authorization: Bearer <API key>`. Errors are RFC 9457 "
    "problem+json documents with a `code` and the failing `field`.",
    auth=ApiKeyAuth(),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)

api.add_router("/v1/members", members_router)
api.add_router("/v1/events", events_router)
api.add_router("/v1", points_router)
api.add_router("/v1", tiers_router)
api.add_router("/v1/members", coupons_router)
api.add_router("/v1/members", redemptions_router)
api.add_router("/v1/checkout", checkout_router)
api.add_router("/v1/flash-sales", flash_sales_router)
api.add_router("/v1/rewards", rewards_router)
api.add_router("/v1/webhooks", webhooks_router)
api.add_router("/v1/members", preferences_router)
api.add_router("/v1/messages", messages_router)
api.add_router("/v1/service/returns", service_returns_router)
api.add_router("/v1/service/order-changes", service_changes_router)
api.add_router("/v1/service", service_router)
api.add_router("/v1/assistant", assistant_router)


problem_handlers_add(api)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = problem_response(
        PatronError(ErrorCode.UNAUTHENTICATED, _("a valid API key is required"), status=401),
        request.path,
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        error = PatronError(
            ErrorCode.MALFORMED_JSON, _("the request body is not valid JSON"), field="body"
        )
    else:
        error = PatronError(code_for_status(exc.status_code), str(exc), status=exc.status_code)
    return problem_response(error, request.path)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem_response(PatronError(ErrorCode.NOT_FOUND, _("not found")), request.path)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug, not bad input: log it, answer with a problem document (still 500).
    logger.exception("unhandled error on %s", request.path)
    return problem_response(
        PatronError(ErrorCode.INTERNAL_ERROR, _("internal error; it has been logged")),
        request.path,
    )
