"""Reads of returns and exchanges: one request, a page of them, their JSON."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from patron.core.errors import ErrorCode, PatronError
from patron.core.pages import newest_first_page
from patron.members.models import Member
from patron.service.models import ReturnLine, ReturnRequest, ReturnStep


def _with_details(query: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
    return query.select_related("order", "member", "ticket").prefetch_related(
        Prefetch("lines", queryset=ReturnLine.objects.select_related("line").order_by("pk")),
        Prefetch("steps", queryset=ReturnStep.objects.select_related("agent").order_by("at", "pk")),
        "photos",
    )


def return_get(*, shop_id: int, return_id: int, member: Member | None = None) -> ReturnRequest:
    """The shop's request (404 for another shop's, or another member's when
    ``member`` is given)."""
    query = ReturnRequest.objects.filter(shop_id=shop_id, pk=return_id)
    if member is not None:
        query = query.filter(member=member)
    found = _with_details(query).first()
    if found is None:
        raise PatronError(ErrorCode.NOT_FOUND, _("no such return request"), field="return_id")
    return found


def returns_page(
    *,
    shop_id: int,
    state: str | None = None,
    member: Member | None = None,
    order_id: str | None = None,
    limit: int = 20,
    before: int | None = None,
) -> tuple[list[ReturnRequest], int | None]:
    """Requests newest first, filtered, and the cursor of the next page."""
    query = ReturnRequest.objects.filter(shop_id=shop_id)
    if state:
        query = query.filter(state=state)
    if member is not None:
        query = query.filter(member=member)
    if order_id:
        query = query.filter(order__external_id=order_id)
    return newest_first_page(_with_details(query), limit=limit, before=before)


def _at(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def return_out(request: ReturnRequest) -> dict[str, Any]:
    return {
        "id": request.pk,
        "reference": request.reference,
        "order_id": request.order.external_id,
        "member": request.member.external_id,
        "ticket": request.ticket.number if request.ticket else None,
        "kind": request.kind,
        "reason": request.reason,
        "description": request.description,
        "state": request.state,
        "refusal_reason": request.refusal_reason,
        "lines": [
            {
                "line_id": rl.line.line_id,
                "sku": rl.line.sku,
                "name": rl.line.name,
                "quantity": rl.quantity,
            }
            for rl in request.lines.all()
        ],
        "photos": [p.file.url for p in request.photos.all()],
        "return_tracking": {
            "carrier": request.return_carrier,
            "tracking_number": request.return_tracking,
        }
        if request.return_tracking
        else None,
        "replacement_tracking": {
            "carrier": request.replacement_carrier,
            "tracking_number": request.replacement_tracking,
        }
        if request.replacement_tracking
        else None,
        "refund_id": request.refund_id or None,
        "refund_amount": request.refund_amount,
        "created_at": _at(request.created_at),
        "refunded_at": _at(request.refunded_at),
        "closed_at": _at(request.closed_at),
        "steps": [
            {
                "state": s.to_state,
                "at": _at(s.at),
                "agent": s.agent.display_name if s.agent else None,
                "note": s.note,
            }
            for s in request.steps.all()
        ],
    }


def returnable_orders(member: Member) -> list[Any]:
    """The member's delivered orders still inside the shop's return window,
    newest first, with their lines (what the portal offers to return)."""
    import datetime as dt

    from patron.core import clock
    from patron.orders.models import Order, OrderLine
    from patron.service.services.returns import DELIVERED, return_settings

    window = dt.timedelta(days=return_settings(member.shop_id).window_days)
    return list(
        Order.objects.filter(
            member=member, status__in=DELIVERED, completed_at__gte=clock.now() - window
        )
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("pk")))
        .order_by("-completed_at")[:20]
    )


def returns_visible(user: Any, shop_id: int) -> QuerySet[ReturnRequest]:
    """The requests an operator may read: with a ticket, those whose ticket
    they may read (an agent: their teams'); without one, every service
    operator's (the shop's returns queue)."""
    from django.db.models import Q

    from patron.core.models import Shop
    from patron.service.selectors import tickets_visible

    if not user.has_perm("service.view_ticket", Shop(pk=shop_id)):
        return ReturnRequest.objects.none()
    tickets = tickets_visible(user, shop_id).values("pk")
    return ReturnRequest.objects.filter(shop_id=shop_id).filter(
        Q(ticket__isnull=True) | Q(ticket__in=tickets)
    )
