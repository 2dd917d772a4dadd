"""Points endpoints of the shop API (mounted under /api/v1/)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import ConfigDict, Field

from patron.core import clock
from patron.core.api import json_response, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import ApiScope
from patron.members import selectors as member_selectors
from patron.orders.services import line_goods_shares
from patron.points import earning, selectors, services
from patron.points.services.earn import cap_room
from patron.rules.models import Trigger
from patron.rules.selectors import versions_in_force

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


class PreviewLineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line_id: Id
    sku: Id
    category: Annotated[str, Field(max_length=100)] = ""
    quantity: Annotated[int, Field(gt=0, le=100_000, strict=True)]
    unit_price: Fen


class PreviewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member: Id | None = None
    lines: Annotated[list[PreviewLineIn], Field(min_length=1, max_length=500)]
    paid_amount: Fen
    shipping_fee: Fen = 0
    points_used: Annotated[int, Field(ge=0, le=10**12, strict=True)] = 0
    coupon_codes: Annotated[list[Id], Field(max_length=20)] = Field(default_factory=list)
    paid_at: dt.datetime | None = None


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
    shop = shop_for(request, ApiScope.POINTS_READ)
    member = (
        member_selectors.member_get(shop=shop, external_id=payload.member, field="member")
        if payload.member
        else None
    )
    if payload.paid_amount > sum(ln.quantity * ln.unit_price for ln in payload.lines) + (
        payload.shipping_fee
    ):
        raise PatronError(
            ErrorCode.VALIDATION_ERROR,
            "paid_amount exceeds lines plus shipping",
            field="paid_amount",
        )
    at = payload.paid_at or clock.now()
    if at.tzinfo is None:
        raise PatronError(ErrorCode.VALIDATION_ERROR, "needs a time zone", field="paid_at")
    shares = line_goods_shares(
        payload.paid_amount,
        payload.shipping_fee,
        [ln.quantity * ln.unit_price for ln in payload.lines],
    )
    facts = earning.OrderFacts(
        order_id="",
        lines=[
            earning.LineFacts(
                line_id=ln.line_id,
                sku=ln.sku,
                category=ln.category,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                paid_amount=share,
            )
            for ln, share in zip(payload.lines, shares, strict=True)
        ],
        paid_amount=payload.paid_amount,
        shipping_fee=payload.shipping_fee,
        items_amount=sum(ln.quantity * ln.unit_price for ln in payload.lines),
        points_used=payload.points_used,
        coupon_codes=list(payload.coupon_codes),
        paid_at=at,
        event_data=payload.model_dump(mode="json", exclude={"member"}),
    )
    versions = versions_in_force(shop=shop, trigger=Trigger.ORDER_PAID, at=at)
    earned, skipped = earning.order_earnings(facts=facts, member=member, versions=versions)
    account = selectors.account_get(member=member) if member else None
    rules = []
    for e in earned:
        room = cap_room(account, e.version, clock.now())
        points, capped_from = e.points, None
        if room is not None and room < points:
            capped_from, points = points, room
        rules.append(
            {
                "rule_id": e.version.rule_id,
                "rule": e.version.rule.name,
                "rule_version": e.version.version,
                "points": points,
                "lines": e.line_points,
                "multipliers": e.multipliers,
                "capped_from": capped_from,
            }
        )
    window = services.program_for(shop).return_window_days
    return json_response(
        200,
        {
            "points": sum(r["points"] for r in rules),
            "pending_until": f"order completed + {window} days",
            "rules": rules,
            "not_applied": [
                {"rule_id": s.version.rule_id, "rule": s.version.rule.name, "why": s.why}
                for s in skipped
            ],
        },
    )
