"""Rebuild a shop's growth value from its order mirror and stored events, set-based.

For demo data, CSV imports and a change of weights the operator wants applied
backwards. Every statement is an INSERT .. SELECT; nothing loops over members.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    PositiveIntegerField,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Greatest, TruncMonth

from patron.core import clock
from patron.core.models import Shop
from patron.events.models import Event
from patron.members.models import Member
from patron.orders.models import Order, OrderStatus
from patron.tiers import selectors, sql
from patron.tiers.models import GrowthEntry, GrowthKind, GrowthMonth

ENTRY_COLUMNS = [
    "shop",
    "member",
    "kind",
    "value",
    "month",
    "occurred_at",
    "basis",
    "weight",
    "order",
    "event_id",
    "created_at",
]
GONE = [OrderStatus.CANCELLED, OrderStatus.REFUNDED]


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=ZoneInfo(settings.TIME_ZONE), output_field=DateField())


def _int(value: int) -> Value:
    return Value(int(value), output_field=BigIntegerField())


def _order_rows(
    orders: QuerySet[Order], kind: str, value: object, basis: object, weight: int
) -> QuerySet[Any, Any]:
    now = clock.now()
    return orders.annotate(
        c_shop=F("shop_id"),
        c_member=F("member_id"),
        c_kind=Value(kind, output_field=CharField()),
        c_value=value,  # type: ignore[misc]
        c_month=_month("paid_at"),
        c_at=F("paid_at"),
        c_basis=basis,  # type: ignore[misc]
        c_weight=Value(weight, output_field=PositiveIntegerField()),
        c_order=F("pk"),
        c_event=Value("", output_field=CharField()),
        c_created=Value(now, output_field=DateTimeField()),
    ).values(
        "c_shop",
        "c_member",
        "c_kind",
        "c_value",
        "c_month",
        "c_at",
        "c_basis",
        "c_weight",
        "c_order",
        "c_event",
        "c_created",
    )


def growth_rebuild(*, shop: Shop) -> dict[str, int]:
    """Replace the shop's growth entries and monthly rollup with what its
    orders and stored review/activity events earn under today's weights."""
    program = selectors.tier_program_get(shop)
    w_yuan = int(program.growth_per_yuan)
    w_order = int(program.growth_per_order)
    counts: dict[str, int] = {}
    with transaction.atomic():
        GrowthMonth.objects.filter(shop=shop).delete()
        GrowthEntry.objects.filter(shop=shop).delete()
        paid = Order.objects.filter(shop=shop, paid_at__isnull=False)
        # As growth.spend_basis: the goods paid, or with shipping if counted.
        basis: Any = (
            F("paid_amount")
            if program.growth_includes_shipping
            else Greatest(
                F("paid_amount") - F("shipping_fee"), _int(0), output_field=BigIntegerField()
            )
        )
        spend = basis * w_yuan / 100
        left = (
            Greatest(basis - F("refunded_amount"), _int(0), output_field=BigIntegerField())
            * w_yuan
            / 100
        )
        if w_yuan:
            counts["spend"] = sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                _order_rows(paid, GrowthKind.SPEND, spend, basis, w_yuan),
            )
            counts["spend_reversal"] = sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                _order_rows(
                    paid.filter(refunded_amount__gt=0).exclude(status__in=GONE),
                    GrowthKind.SPEND_REVERSAL,
                    left - spend,
                    F("refunded_amount"),
                    w_yuan,
                ),
            ) + sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                _order_rows(
                    paid.filter(status__in=GONE),
                    GrowthKind.SPEND_REVERSAL,
                    -spend,
                    F("refunded_amount"),
                    w_yuan,
                ),
            )
        if w_order:
            counts["order"] = sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                _order_rows(paid, GrowthKind.ORDER, _int(w_order), _int(1), w_order),
            )
            counts["order_reversal"] = sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                _order_rows(
                    paid.filter(status__in=GONE),
                    GrowthKind.ORDER_REVERSAL,
                    _int(-w_order),
                    _int(1),
                    0,
                ),
            )
        member_id = Subquery(
            Member.objects.filter(shop=shop, external_id=OuterRef("member_external_id")).values(
                "pk"
            )[:1]
        )
        now = clock.now()
        for kind, weight, types in (
            (GrowthKind.REVIEW, int(program.growth_per_review), ["review.posted"]),
            (GrowthKind.ACTIVITY, int(program.growth_per_activity), ["link.shared"]),
        ):
            if not weight:
                continue
            events = Event.objects.filter(shop=shop).annotate(c_member=member_id)
            events = events.filter(c_member__isnull=False)
            if kind == GrowthKind.REVIEW:
                # Once per (member, review id), as at event time: the first
                # event stored for the review counts, resends under new ids not.
                resent = Event.objects.annotate(c_review=KT("payload__data__review_id")).filter(
                    shop=shop,
                    type="review.posted",
                    member_external_id=OuterRef("member_external_id"),
                    c_review=OuterRef("c_review"),
                    pk__lt=OuterRef("pk"),
                )
                events = (
                    events.filter(type__in=types)
                    .annotate(c_review=KT("payload__data__review_id"))
                    .filter(~Exists(resent))
                )
            else:
                events = events.filter(type__in=types) | events.filter(type__startswith="custom.")
            counts[kind] = sql.insert_select(
                GrowthEntry,
                ENTRY_COLUMNS,
                events.annotate(
                    c_shop=F("shop_id"),
                    c_kind=Value(str(kind), output_field=CharField()),
                    c_value=_int(weight),
                    c_month=_month("occurred_at"),
                    c_at=F("occurred_at"),
                    c_basis=_int(1),
                    c_weight=Value(weight, output_field=IntegerField()),
                    c_order=Value(None, output_field=BigIntegerField()),
                    c_event=F("external_id"),
                    c_created=Value(now, output_field=DateTimeField()),
                ).values(
                    "c_shop",
                    "c_member",
                    "c_kind",
                    "c_value",
                    "c_month",
                    "c_at",
                    "c_basis",
                    "c_weight",
                    "c_order",
                    "c_event",
                    "c_created",
                ),
            )
        counts["months"] = sql.insert_select(
            GrowthMonth,
            ["shop", "member", "month", "value"],
            GrowthEntry.objects.filter(shop=shop)
            .values("shop_id", "member_id", "month")
            .annotate(total=Sum("value"))
            .values("shop_id", "member_id", "month", "total"),
        )
    return counts
