"""The returns desk (minimal): a list of return and exchange requests and a
page for one with its steps and the buttons that move it on. Agents and
leads act; the analyst reads."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.console import once
from patron.console.auth import forbidden, operator_required, shop_id
from patron.core.errors import ErrorCode, PatronError
from patron.service import selectors_returns as selectors
from patron.service import services
from patron.service.models import ReturnKind, ReturnRequest, ReturnState
from patron.service.selectors import agent_of

RS = ReturnState
#: The buttons a request in each state shows: (action, label, fields it asks).
ACTIONS: dict[str, list[str]] = {
    RS.REQUESTED: ["approve", "refuse"],
    RS.APPROVED: ["goods_sent"],
    RS.SENT_BACK: ["receive"],
    RS.RECEIVED: ["refund", "ship_replacement"],
    RS.REFUNDED: ["close"],
    RS.REPLACEMENT_SHIPPED: ["close"],
    RS.REFUSED: ["close"],
}


def _visible(request: HttpRequest, return_id: int) -> ReturnRequest:
    found = selectors.returns_visible(request.user, shop_id(request)).filter(pk=return_id).first()
    if found is None:
        raise Http404
    return selectors.return_get(shop_id=found.shop_id, return_id=found.pk)


@operator_required("service.view_ticket")
def returns_view(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "")
    rows = selectors.returns_visible(request.user, shop_id(request))
    if state in RS.values:
        rows = rows.filter(state=state)
    rows = rows.select_related("order", "member", "ticket").order_by("-pk")[:100]
    return render(
        request,
        "console/returns.html",
        {"rows": rows, "state": state, "states": RS.choices},
    )


def _actions(found: ReturnRequest) -> list[str]:
    wanted = ACTIONS.get(found.state, [])
    if found.kind == ReturnKind.EXCHANGE:
        return [a for a in wanted if a != "refund"]
    return [a for a in wanted if a != "ship_replacement"]


@operator_required("service.view_ticket")
def return_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _visible(request, return_id)
    return render(
        request,
        "console/return.html",
        {
            "r": found,
            "actions": _actions(found),
            "can_work": request.user.has_perm("service.work_ticket"),
            "idem": once.new_token(),
        },
    )


def _run(request: HttpRequest, found: ReturnRequest, action: str) -> Any:
    post = request.POST
    args: dict[str, Any] = {
        "request": found,
        "agent": agent_of(request.user, found.shop_id),
        "actor": request.user,
    }
    if action == "approve":
        return services.return_approve(**args, note=post.get("note", ""))
    if action == "refuse":
        return services.return_refuse(**args, reason=post.get("reason", ""))
    if action == "goods_sent":
        return services.return_goods_sent(
            **args, carrier=post.get("carrier", ""), tracking_number=post.get("tracking_number", "")
        )
    if action == "receive":
        return services.return_receive(**args, note=post.get("note", ""))
    if action == "refund":
        return services.return_refund_request(**args)
    if action == "ship_replacement":
        return services.return_replacement_ship(
            **args, carrier=post.get("carrier", ""), tracking_number=post.get("tracking_number", "")
        )
    if action == "close":
        return services.return_close(**args, note=post.get("note", ""))
    raise PatronError(ErrorCode.VALIDATION_ERROR, _("unknown action"), field="action")


@operator_required("service.work_ticket")
@require_POST
def return_act_view(request: HttpRequest, return_id: int) -> HttpResponse:
    found = _visible(request, return_id)
    action = request.POST.get("action", "")

    def handler() -> tuple[int, dict[str, Any]]:
        moved = _run(request, found, action)
        return 200, {"state": moved.state}

    try:
        _status, body, _replayed = once.form_once(request, shop=found.shop, handler=handler)
    except PatronError as exc:
        if exc.code == ErrorCode.FORBIDDEN:
            return forbidden(request)
        found = _visible(request, return_id)
        return render(
            request,
            "console/return.html",
            {
                "r": found,
                "actions": _actions(found),
                "can_work": True,
                "idem": once.new_token(),
                "problem": {"field": exc.field or "", "detail": str(exc.detail)},
            },
            status=409 if exc.code == ErrorCode.INVALID_TRANSITION else 422,
        )
    messages.success(
        request,
        _("The request is now: %(state)s") % {"state": RS(body["state"]).label},
    )
    return redirect(reverse("console:return", args=[found.pk]))
