"""Points endpoints of the shop API (mounted under /api/v1/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema
from pydantic import Field

from patron.core import clock
from patron.core.api import ApiKeyAuth, json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import ApiScope
from patron.core.validation import AwareDateTime, IsoDate, Text
from patron.events.schemas import OrderPaidData
from patron.members import selectors as member_selectors
from patron.orders import selectors as order_selectors
from patron.orders import services as order_services
from patron.orders.handlers import paid_order_input
from patron.points import selectors, services

router = Router(tags=["points"])

Id = Annotated[Text, Field(min_length=1, max_length=64)]
Fen = Annotated[int, Field(ge=0, le=10**12, strict=True)]


class ExpiryOut(Schema):
    date: dt.date = Field(description="The last day on which these points can be used.")
    points: int


class BalanceOut(Schema):
    member: str
    available: int
    pending: int
    debt: int
    lifetime_earned: int
    expiring: list[ExpiryOut] = Field(
        description="Available points by the last day they can be used, from today through "
        "`expiring_until`, earliest first."
    )
    expiring_until: dt.date = Field(
        description="The last day `expiring` covers (shop time zone): "
        "`expiry_until` if given, else today plus `expiry_horizon_months`."
    )


class BalanceQuery(Schema):
    expiry_horizon_months: Annotated[
        int,
        Field(
            ge=1,
            le=1200,
            description="How far ahead `expiring` looks, in calendar months from today "
            "(shop time zone): points last usable on or before the same day that many "
            "months on. Default 12.",
        ),
    ] = 12
    expiry_until: IsoDate | None = Field(
        None,
        description="The last day `expiring` covers, instead of `expiry_horizon_months` "
        "(not both). `9999-12-31` shows the whole expiry schedule.",
    )


class EntryOut(Schema):
    id: int
    kind: str
    points: int
    available_change: int
    pending_change: int
    debt_change: int
    reason: str
    reason_code: str
    reason_params: dict[str, Any]
    rule_id: int | None
    rule_version: int | None
    order_id: str | None
    at: dt.datetime


class EntriesOut(Schema):
    items: list[EntryOut]
    next_before: int | None


class EntriesQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = None
    lang: Annotated[Text, Field(max_length=35)] | None = None


def _language(request: HttpRequest, explicit: str | None, member_language: str) -> str:
    if explicit:
        return "en" if explicit.lower().startswith("en") else "zh-hans"
    header = request.headers.get("Accept-Language", "")
    if header:
        return "en" if header.lower().startswith("en") else "zh-hans"
    return member_language


@router.get(
    "/members/{external_id}/points",
    response=BalanceOut,
    summary="A member's points: available, pending, debt, lifetime, what expires when",
    auth=ApiKeyAuth(ApiScope.POINTS_READ),
)
def points_balance(
    request: HttpRequest, external_id: Text, query: Query[BalanceQuery]
) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    until = query.expiry_until
    if until is not None:
        if "expiry_horizon_months" in request.GET:
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                _("give expiry_until or expiry_horizon_months, not both"),
                field="expiry_until",
            )
        if until < clock.today():
            raise PatronError(
                ErrorCode.VALIDATION_ERROR,
                lazy_format(_("expiry_until %(until)s is before today"), until=until.isoformat()),
                field="expiry_until",
            )
    balance = selectors.balance(
        member=member, expiry_months=query.expiry_horizon_months, expiry_until=until
    )
    return json_response(200, balance)


@router.get(
    "/members/{external_id}/points/entries",
    response=EntriesOut,
    summary="A member's points history, newest first, with reasons",
    auth=ApiKeyAuth(ApiScope.POINTS_READ),
)
def points_entries(
    request: HttpRequest, external_id: Text, query: Query[EntriesQuery]
) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    page = selectors.entries_page(
        member=member,
        limit=query.limit,
        before=query.before,
        language=_language(request, query.lang, member.language),
    )
    return json_response(200, page)


class OrderLineOut(Schema):
    line_id: str
    sku: str
    name: str
    category: str
    quantity: int
    unit_price: int
    paid_amount: int = Field(description="the line's share of what was paid, shipping excluded")
    refunded_quantity: int
    points: int = Field(description="points the line earned (pending ones included)")
    points_reversed: int = Field(description="of those, taken back by refunds or cancellation")


class OrderOut(Schema):
    order_id: str
    status: str = Field(
        description="paid, shipped, completed, cancelled, partially_refunded or refunded"
    )
    currency: str
    items_amount: int
    shipping_fee: int
    discount_amount: int
    points_used: int
    points_amount: int
    paid_amount: int = Field(description="what the member paid, shipping included")
    refunded_amount: int
    coupon_codes: list[str]
    placed_at: dt.datetime
    paid_at: dt.datetime | None
    shipped_at: dt.datetime | None
    completed_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    refunded_at: dt.datetime | None
    points: int = Field(description="points the order's lines earned")
    points_reversed: int
    lines: list[OrderLineOut]


class OrdersOut(Schema):
    items: list[OrderOut]
    next_before: int | None


class PageQuery(Schema):
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    before: int | None = Field(None, description="next_before of the previous page")


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


@router.get(
    "/members/{external_id}/orders",
    response=OrdersOut,
    summary="A member's orders, newest first: status, lines and the points each line earned",
    auth=ApiKeyAuth(ApiScope.MEMBERS_READ),
    tags=["orders"],
)
def member_orders(request: HttpRequest, external_id: Text, query: Query[PageQuery]) -> HttpResponse:
    shop = shop_for(request, ApiScope.MEMBERS_READ)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)
    orders, next_before = order_selectors.member_orders_page(
        member=member, limit=query.limit, before=query.before
    )
    earned = selectors.points_by_line(
        line_ids=[line.pk for order in orders for line in order.lines.all()]
    )
    items = []
    for order in orders:
        lines: list[dict[str, Any]] = [
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "name": line.name,
                "category": line.category,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "paid_amount": line.paid_amount,
                "refunded_quantity": line.refunded_quantity,
                "points": earned.get(line.pk, (0, 0))[0],
                "points_reversed": earned.get(line.pk, (0, 0))[1],
            }
            for line in order.lines.all()
        ]
        items.append(
            {
                "order_id": order.external_id,
                "status": order.status,
                "currency": order.currency,
                "items_amount": order.items_amount,
                "shipping_fee": order.shipping_fee,
                "discount_amount": order.discount_amount,
                "points_used": order.points_used,
                "points_amount": order.points_amount,
                "paid_amount": order.paid_amount,
                "refunded_amount": order.refunded_amount,
                "coupon_codes": list(order.coupon_codes or []),
                "placed_at": _iso(order.placed_at),
                "paid_at": _iso(order.paid_at),
                "shipped_at": _iso(order.shipped_at),
                "completed_at": _iso(order.completed_at),
                "cancelled_at": _iso(order.cancelled_at),
                "refunded_at": _iso(order.refunded_at),
                "points": sum(line["points"] for line in lines),
                "points_reversed": sum(line["points_reversed"] for line in lines),
                "lines": lines,
            }
        )
    return json_response(200, {"items": items, "next_before": next_before})


class CheckinOut(Schema):
    day: dt.date
    streak: int
    points: int
    available: int
    effects: list[dict[str, Any]]


@router.post(
    "/members/{external_id}/checkin",
    response={201: CheckinOut},
    summary="Daily check-in (once a day; streak bonuses by the check-in rules)",
    auth=ApiKeyAuth(ApiScope.POINTS_WRITE),
)
def points_checkin(request: HttpRequest, external_id: Text) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_WRITE)
    member = member_selectors.member_of_path(shop=shop, external_id=external_id)

    def handler() -> tuple[int, Any]:
        return 201, services.checkin_record(member=member)

    return with_idempotency(request, shop, handler)


class PreviewIn(OrderPaidData):
    """An order.paid event's data (the order id optional), for whom, and when."""

    order_id: Annotated[Text, Field(max_length=64)] = ""
    member: Id | None = None
    paid_at: AwareDateTime | None = None
    completed_at: AwareDateTime | None = Field(
        None,
        description="When the order was or will be completed, if known (a till sale "
        "completes when it is paid); gives `pending_until`. Not before `paid_at`.",
    )


class PreviewRuleOut(Schema):
    rule_id: int
    rule: str
    rule_version: int
    points: int
    lines: dict[str, int]
    multipliers: dict[str, int]
    capped_from: int | None = None


class PendingRuleOut(Schema):
    after: str = Field(
        description="The order event that starts the return window: `order.completed`."
    )
    days: int = Field(description="The return window in days (points programme setting).")


class PreviewOut(Schema):
    points: int
    pending_until: dt.datetime | None = Field(
        description="When the points become available: the order's completion "
        "(`completed_at`) plus the return window. Null when the completion is not "
        "known yet (the usual case at checkout) or the order earns nothing."
    )
    pending_rule: PendingRuleOut = Field(
        description="How the points become available: pending until the return window "
        "after the `after` event has passed (e.g. order completed + 7 days)."
    )
    rules: list[PreviewRuleOut]
    not_applied: list[dict[str, Any]]


@router.post(
    "/points/preview",
    response=PreviewOut,
    summary="What would this order earn, and by which rules? Writes nothing.",
    auth=ApiKeyAuth(ApiScope.POINTS_READ),
)
def points_preview(request: HttpRequest, payload: PreviewIn) -> HttpResponse:
    """The order is checked and worked out exactly as its order.paid event would
    be (same builders, rules, caps and line splits), at ``paid_at`` (default
    now), for ``member`` (their tier and caps; none: a member without any)."""
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = (
        member_selectors.member_get(shop=shop, external_id=payload.member, field="member")
        if payload.member
        else None
    )
    data = paid_order_input(payload)
    problem = order_services.paid_order_problem(shop, data)
    if problem is not None:
        problem.field = (problem.field or "").removeprefix("data.") or None
        raise problem
    paid_at = payload.paid_at or clock.now()
    if payload.completed_at is not None and payload.completed_at < paid_at:
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            lazy_format(
                _("completed_at %(completed_at)s is before the payment (%(paid_at)s)"),
                completed_at=payload.completed_at.isoformat(),
                paid_at=paid_at.isoformat(),
            ),
            field="completed_at",
        )
    rules, skipped = services.order_preview(
        shop=shop,
        member=member,
        data=data,
        at=paid_at,
        # What the event would carry as its data: what was sent, as sent.
        event_data=payload.model_dump(
            mode="json", exclude_unset=True, exclude={"member", "paid_at", "completed_at"}
        ),
    )
    answer = [
        {
            "rule_id": r.earning.version.rule_id,
            "rule": r.earning.version.rule.name,
            "rule_version": r.earning.version.version,
            "points": r.points,
            "lines": r.line_points,
            "multipliers": r.earning.multipliers,
            "capped_from": r.earning.capped_from,
        }
        for r in rules
    ]
    program = services.points_program_get(shop)
    points = sum(r.points for r in rules)
    pending_until = (
        services.available_after_completion(program, payload.completed_at)
        if payload.completed_at is not None and points > 0
        else None
    )
    return json_response(
        200,
        {
            "points": points,
            "pending_until": pending_until.isoformat() if pending_until else None,
            "pending_rule": {"after": "order.completed", "days": program.return_window_days},
            "rules": answer,
            "not_applied": [
                {"rule_id": s.version.rule_id, "rule": s.version.rule.name, "why": s.why}
                for s in skipped
            ],
        },
    )
