"""Points endpoints of the shop API (mounted under /api/v1/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from patron.core import clock
from patron.core.api import json_response, shop_for, with_idempotency
from patron.core.models import ApiScope
from patron.core.validation import AwareDateTime
from patron.events.schemas import OrderPaidData
from patron.members import selectors as member_selectors
from patron.orders import services as order_services
from patron.orders.handlers import paid_order_input
from patron.points import selectors, services

router = Router(tags=["points"])

Id = Annotated[str, Field(min_length=1, max_length=64)]
Fen = Annotated[int, Field(ge=0, le=10**12, strict=True)]


class ExpiryOut(Schema):
    date: dt.date
    points: int


class BalanceOut(Schema):
    member: str
    available: int
    pending: int
    debt: int
    lifetime_earned: int
    expiring: list[ExpiryOut]


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
    lang: str | None = None


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
)
def points_balance(request: HttpRequest, external_id: str) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = member_selectors.member_get(shop=shop, external_id=external_id, field="external_id")
    return json_response(200, selectors.balance(member=member))


@router.get(
    "/members/{external_id}/points/entries",
    response=EntriesOut,
    summary="A member's points history, newest first, with reasons",
)
def points_entries(
    request: HttpRequest, external_id: str, query: Query[EntriesQuery]
) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = member_selectors.member_get(shop=shop, external_id=external_id, field="external_id")
    page = selectors.entries_page(
        member=member,
        limit=query.limit,
        before=query.before,
        language=_language(request, query.lang, member.language),
    )
    return json_response(200, page)


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
)
def points_checkin(request: HttpRequest, external_id: str) -> HttpResponse:
    shop = shop_for(request, ApiScope.POINTS_WRITE)
    member = member_selectors.member_get(shop=shop, external_id=external_id, field="external_id")

    def handler() -> tuple[int, Any]:
        return 201, services.checkin_record(member=member)

    return with_idempotency(request, shop, handler)


class PreviewIn(OrderPaidData):
    """An order.paid event's data (the order id optional), for whom, and when."""

    order_id: Annotated[str, Field(max_length=64)] = ""
    member: Id | None = None
    paid_at: AwareDateTime | None = None


class PreviewRuleOut(Schema):
    rule_id: int
    rule: str
    rule_version: int
    points: int
    lines: dict[str, int]
    multipliers: dict[str, int]
    capped_from: int | None = None


class PreviewOut(Schema):
    points: int
    pending_until: str
    rules: list[PreviewRuleOut]
    not_applied: list[dict[str, Any]]


@router.post(
    "/points/preview",
    response=PreviewOut,
    summary="What would this order earn, and by which rules? Writes nothing.",
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
    rules, skipped = services.order_preview(
        shop=shop,
        member=member,
        data=data,
        at=payload.paid_at or clock.now(),
        # What the event would carry as its data: what was sent, as sent.
        event_data=payload.model_dump(
            mode="json", exclude_unset=True, exclude={"member", "paid_at"}
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
    window = services.program_for(shop).return_window_days
    return json_response(
        200,
        {
            "points": sum(r.points for r in rules),
            "pending_until": f"order completed + {window} days",
            "rules": answer,
            "not_applied": [
                {"rule_id": s.version.rule_id, "rule": s.version.rule.name, "why": s.why}
                for s in skipped
            ],
        },
    )
