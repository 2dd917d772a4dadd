"""Compensation: an agent's monthly budgets (theirs and their teams', used /
left), the grants of the month, and the form that grants points or a coupon
on a ticket. Above the agent's limit a grant waits in Approvals."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.console import once
from patron.console.auth import forbidden, operator_required, shop_id
from patron.core.errors import ErrorCode, PatronError
from patron.promotions.models import CouponTemplate
from patron.service import services
from patron.service.models import Compensation, Team
from patron.service.selectors import agent_of, tickets_visible
from patron.service.services.compensation import month_start


def _context(request: HttpRequest) -> dict[str, Any]:
    shop = shop_id(request)
    agent = agent_of(request.user, shop)
    budgets = []
    if agent is not None:
        budgets.append(
            {
                "who": agent.display_name,
                "points": services.agent_budget(agent, "points"),
                "coupon": services.agent_budget(agent, "coupon"),
            }
        )
    teams = Team.objects.filter(shop_id=shop)
    if not request.user.has_perm("service.view_all_tickets"):
        teams = teams.filter(memberships__agent=agent) if agent else teams.none()
    for team in teams.order_by("code"):
        budgets.append(
            {
                "who": team.name,
                "points": services.team_budget(team, "points"),
                "coupon": services.team_budget(team, "coupon"),
            }
        )
    grants = Compensation.objects.filter(
        shop_id=shop,
        ticket__in=tickets_visible(request.user, shop).values("pk"),
        requested_at__gte=month_start(),
    ).select_related("member", "agent", "ticket", "coupon_template")
    return {
        "agent": agent,
        "budgets": budgets,
        "grants": grants.order_by("-requested_at")[:100],
        "templates": CouponTemplate.objects.filter(shop_id=shop, active=True).order_by("name"),
        "can_grant": agent is not None and request.user.has_perm("service.work_ticket"),
        "idem": once.new_token(),
    }


@operator_required("service.view_ticket")
def compensation_view(request: HttpRequest) -> HttpResponse:
    return render(request, "console/compensation.html", _context(request))


def _int(raw: str) -> int | None:
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@operator_required("service.work_ticket")
@require_POST
def compensation_grant_view(request: HttpRequest) -> HttpResponse:
    shop = shop_id(request)
    agent = agent_of(request.user, shop)
    post = request.POST
    try:
        if agent is None:
            # The role allows it, but only an agent answering tickets here grants.
            raise PatronError(
                ErrorCode.VALIDATION_ERROR, _("you are not an agent of this shop"), field="agent"
            )
        number = _int(post.get("ticket", ""))
        ticket = tickets_visible(request.user, shop).filter(number=number or -1).first()
        if ticket is None:
            raise PatronError(ErrorCode.VALIDATION_ERROR, _("no such ticket"), field="ticket")
        template_id = _int(post.get("coupon_template", ""))
        template = CouponTemplate.objects.filter(shop_id=shop, pk=template_id or -1).first()
        points = _int(post.get("points", "")) if post.get("kind") == "points" else 0

        def handler() -> tuple[int, dict[str, Any]]:
            comp = services.compensation_grant(
                ticket=ticket,
                agent=agent,
                kind=post.get("kind", ""),
                points=-1 if points is None else points,
                coupon_template=template,
                reason=post.get("reason", ""),
                actor=request.user,  # type: ignore[arg-type]
            )
            return 201, {"state": comp.state}

        _status, body, _replayed = once.form_once(request, shop=ticket.shop, handler=handler)
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN and exc.field is None:
            return forbidden(request)
        context = _context(request)
        context["problem"] = {"field": exc.field or "", "detail": str(exc.detail)}
        return render(request, "console/compensation.html", context, status=422)
    if body["state"] == "awaiting":
        messages.warning(request, _("Above your limit: the grant waits for a lead's approval."))
    else:
        messages.success(request, _("Granted."))
    return redirect("console:compensation")
