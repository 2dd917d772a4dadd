"""The console's JSON API under /console/api/: the same role rules as the pages,
for operators' scripts and tools. Session authentication with CSRF, as the
console itself; errors are problem+json like the shop API. Every POST takes an
``Idempotency-Key`` header, as the shop API's do: a resend replays the first
answer (``Idempotent-Replayed: true``) instead of writing again."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.security import django_auth
from pydantic import ConfigDict

from patron.console import once, selectors
from patron.core.api import problem_handlers_add
from patron.core.apps import installed
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.middleware import problem_response
from patron.core.validation import MultilineText, Text
from patron.members.models import Member

api = NinjaAPI(
    title="Patron console API",
    version="1",
    auth=django_auth,
    urls_namespace="console-api",
    docs_url=None,
    openapi_url=None,
)


def require(request: HttpRequest, perm: str) -> int:
    """Refuse unless the operator's role in the current shop holds ``perm``;
    the current shop's id, which every answer is limited to."""
    current = getattr(request, "current_shop_id", None)
    if (
        current is None
        or not request.user.has_perm("console.use_console")
        or not request.user.has_perm(perm)
    ):
        raise PatronError(
            ErrorCode.FORBIDDEN, lazy_format(_("your role lacks %(perm)s"), perm=perm), status=403
        )
    return int(current)


problem_handlers_add(api)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem_response(
        PatronError(ErrorCode.UNAUTHENTICATED, _("sign in to the console first"), status=401),
        request.path,
    )


@api.get("/members/{member_id}")
def member_get(request: HttpRequest, member_id: int) -> dict[str, Any]:
    shop_id = require(request, "members.view_member")
    member = get_object_or_404(Member, pk=member_id, shop_id=shop_id)
    pii = request.user.has_perm("members.view_member_pii")
    points = {"available": 0, "pending": 0}
    if installed("points"):
        from patron.points import selectors as points_selectors

        points = points_selectors.member_points_summary(member)
    return {
        "external_id": member.external_id,
        "name": member.name,
        "phone": member.phone if pii else member.masked_phone,
        "email": member.email if pii else member.masked_email,
        "points": {"available": points["available"], "pending": points["pending"]},
    }


class AdjustmentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    points: int
    reason: MultilineText


@api.post("/members/{member_id}/points-adjustments")
def adjustment_create(request: HttpRequest, member_id: int, payload: AdjustmentIn) -> HttpResponse:
    shop_id = require(request, "points.adjust_points")
    from patron.points import services as points_services

    member = get_object_or_404(Member.objects.select_related("shop"), pk=member_id, shop_id=shop_id)

    def handler() -> tuple[int, dict[str, Any]]:
        adjustment = points_services.adjustment_request(
            member=member,
            points=payload.points,
            reason=payload.reason,
            actor=request.user,  # type: ignore[arg-type]
        )
        return 201, {"id": adjustment.pk, "state": adjustment.state}

    return once.api_once(request, shop=member.shop, handler=handler)


@api.post("/approvals/adjustments/{adjustment_id}/approve")
def adjustment_approve(request: HttpRequest, adjustment_id: int) -> HttpResponse:
    shop_id = require(request, "points.approve_adjustment")
    from patron.points import services as points_services
    from patron.points.models import PointsAdjustment

    adjustment = get_object_or_404(
        PointsAdjustment.objects.select_related("member__shop"),
        pk=adjustment_id,
        member__shop_id=shop_id,
    )

    def handler() -> tuple[int, dict[str, Any]]:
        done = points_services.adjustment_approve(
            adjustment=adjustment,
            actor=request.user,  # type: ignore[arg-type]
        )
        return 200, {"id": done.pk, "state": done.state}

    return once.api_once(request, shop=adjustment.member.shop, handler=handler)


@api.get("/approvals")
def approvals_list(request: HttpRequest) -> dict[str, Any]:
    if any(
        request.user.has_perm(p)
        for p in ("points.approve_adjustment", "tiers.approve_tieroverride")
    ):
        shop_id = require(request, "console.use_console")
    else:
        shop_id = require(request, "points.approve_adjustment")
    queue = selectors.approval_queue(shop_id=shop_id)
    return {
        "adjustments": [
            {"id": a.pk, "member": a.member.external_id, "points": a.points, "reason": a.reason}  # type: ignore[attr-defined]
            for a in queue["adjustments"]
        ],
        "overrides": [
            {"id": o.pk, "member": o.member.external_id, "tier": o.tier.code}  # type: ignore[attr-defined]
            for o in queue["overrides"]
        ],
    }


class CouponTemplateIn(Schema):
    """Checked by the promotions service (``template_validate``), which names the field."""

    model_config = ConfigDict(extra="forbid")
    shop_id: int | None = None  # the current shop; another one is refused
    code: Text
    name: Text
    description: MultilineText = ""
    type: Text
    amount: int = 0
    threshold: int = 0
    percent: int = 0
    valid_days: int = 30
    per_member_limit: int = 1
    total_limit: int = 0
    claimable: bool = False
    stacking_group: Text = ""  # empty: the type's default (free shipping: "shipping")


@api.post("/coupon-templates")
def coupon_template_create(request: HttpRequest, payload: CouponTemplateIn) -> HttpResponse:
    shop_id = require(request, "promotions.add_coupontemplate")
    from patron.console import services
    from patron.core.models import Shop

    if payload.shop_id is not None and payload.shop_id != shop_id:
        raise PatronError(
            ErrorCode.FORBIDDEN,
            "shop_id: not your current shop; switch shops in the console first",
            field="shop_id",
            status=403,
        )
    shop = Shop.objects.get(pk=shop_id)
    fields = payload.dict()
    fields.pop("shop_id")

    def handler() -> tuple[int, dict[str, Any]]:
        template = services.coupon_template_create(
            shop=shop,
            actor=request.user,  # type: ignore[arg-type]
            fields=fields,
        )
        return 201, {"id": template.pk, "code": template.code}

    return once.api_once(request, shop=shop, handler=handler)


@api.get("/audit")
def audit_list(request: HttpRequest, q: Text = "") -> list[dict[str, Any]]:
    shop_id = require(request, "core.view_auditlog")
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor_label,
            "action": e.action,
            "object": e.object_repr,
        }
        for e in selectors.audit_search(shop_id=shop_id, query=q, limit=100)
    ]


@api.get("/dashboard")
def dashboard(request: HttpRequest) -> dict[str, Any]:
    shop_id = require(request, "console.view_dashboard")
    from patron.console.dashboard import points_liability

    return {
        "members": Member.objects.filter(shop_id=shop_id).count(),
        "liability": points_liability(shop_id),
    }
