"""The member's orders: each with its parcels' tracking timeline (物流) and,
before shipment, a form to ask the shop for a change (address, phone,
delivery time, cancel) with the answers so far."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.core.errors import PatronError
from patron.members.models import Member
from patron.orders import selectors as order_selectors
from patron.orders.models import Order
from patron.orders.shipments import orders_tracking
from patron.portal.auth import member_required
from patron.service import services
from patron.service.models import OrderChangeKind, OrderChangeRequest
from patron.service.services.order_changes import CHANGEABLE


@member_required
def orders_view(request: HttpRequest) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    orders, _next = order_selectors.member_orders_page(member=member, limit=20)
    changes: dict[int, list[OrderChangeRequest]] = {}
    for change in OrderChangeRequest.objects.filter(order__in=[o.pk for o in orders]).order_by(
        "-pk"
    ):
        changes.setdefault(change.order_id, []).append(change)
    tracking = orders_tracking(orders)
    rows = [
        {
            "order": o,
            "tracking": tracking[o.pk],
            "changes": changes.get(o.pk, []),
            "changeable": o.status in CHANGEABLE and o.shipped_at is None,
        }
        for o in orders
    ]
    return render(request, "portal/orders.html", {"rows": rows, "kinds": OrderChangeKind.choices})


@member_required
@require_POST
def order_change_view(request: HttpRequest, order_id: str) -> HttpResponse:
    member: Member = request.member  # type: ignore[attr-defined]
    if not Order.objects.filter(member=member, external_id=order_id).exists():
        raise Http404
    try:
        services.order_change_request(
            member=member,
            order_id=order_id,
            kind=request.POST.get("kind", ""),
            value=request.POST.get("value", ""),
        )
    except PatronError as exc:
        messages.error(request, _("That did not work: %(detail)s") % {"detail": exc.detail})
    else:
        messages.success(request, _("Sent to the shop. You will find its answer in Messages."))
    return redirect("portal:orders")
