"""The member's returns and exchanges (退换货): their requests, a form to ask
for one on a delivered order, and the tracking number of the parcel they
send back."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from patron.core.errors import PatronError
from patron.members.models import Member
from patron.orders.models import Order
from patron.portal.auth import member_required
from patron.service import selectors_returns as selectors
from patron.service import services
from patron.service.models import ReturnKind, ReturnReason, ReturnRequest


def _problem(exc: PatronError, wanted: list[services.ReturnLineInput]) -> dict[str, str]:
    """The refusal, and the form input it is about: ``lines[i]...`` names the
    i-th line asked for, which the form shows by its line id."""
    field = exc.field or ""
    match = re.fullmatch(r"lines\[(\d+)\]\.\w+", field)
    line = (
        wanted[int(match.group(1))].line_id if match and int(match.group(1)) < len(wanted) else ""
    )
    return {"field": field, "line": line, "detail": str(exc.detail)}


@member_required
def returns_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    rows, _after = selectors.returns_page(shop_id=member.shop_id, member=member, limit=50)
    return render(
        request,
        "portal/returns.html",
        {"rows": rows, "orders": selectors.returnable_orders(member)},
    )


@member_required
@require_http_methods(["GET", "POST"])
def return_new_view(request: HttpRequest, order_id: str) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    order = Order.objects.filter(member=member, external_id=order_id).first()
    if order is None:
        raise Http404
    lines = list(order.lines.order_by("pk"))
    problem = None
    status = 200
    if request.method == "POST":
        wanted = []
        for line in lines:
            raw = request.POST.get(f"qty-{line.line_id}", "").strip() or "0"
            quantity = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else -1
            if quantity != 0:
                wanted.append(services.ReturnLineInput(line.line_id, quantity))
        try:
            created = services.return_request(
                member=member,
                order_id=order.external_id,
                lines=wanted,
                kind=request.POST.get("kind", ""),
                reason=request.POST.get("reason", ""),
                description=request.POST.get("description", ""),
                photos=request.FILES.getlist("photos"),
            )
        except PatronError as exc:
            problem, status = _problem(exc, wanted), 422
        else:
            messages.success(
                request,
                _("Your request %(reference)s is sent. We will answer soon.")
                % {"reference": created.reference},
            )
            return redirect("portal:returns")
    left = services.returnable_quantities(order)
    return render(
        request,
        "portal/return_new.html",
        {
            "order": order,
            "lines": [(ln, left.get(ln.pk, 0)) for ln in lines],
            "kinds": ReturnKind.choices,
            "reasons": ReturnReason.choices,
            "problem": problem,
        },
        status=status,
    )


@member_required
@require_POST
def return_sent_view(request: HttpRequest, return_id: int) -> HttpResponse:
    """The member posted the goods back: the carrier and tracking number."""
    member: Member = request.member  # type: ignore[attr-defined]
    found = ReturnRequest.objects.filter(member=member, pk=return_id).first()
    if found is None:
        raise Http404
    try:
        services.return_goods_sent(
            request=found,
            carrier=request.POST.get("carrier", ""),
            tracking_number=request.POST.get("tracking_number", ""),
        )
    except PatronError as exc:
        messages.error(request, _("That did not work: %(detail)s") % {"detail": exc.detail})
    else:
        messages.success(request, _("Thank you. We will tell you when the parcel arrives."))
    return redirect("portal:returns")
