"""The dashboard's figures and charts (read-only queries over several apps)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import BigIntegerField, Count, Q, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncMonth
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from patron.console.charts import Series, bar_chart, hbar_chart
from patron.core import clock
from patron.core.apps import installed
from patron.core.money import Rounding, divide, format_money
from patron.members.models import Member
from patron.orders import selectors as order_selectors
from patron.orders.models import Order

MONTHS = 12


def _months() -> list[dt.date]:
    today = clock.today()
    first = today.replace(day=1)
    months = []
    for i in range(MONTHS - 1, -1, -1):
        year, month = first.year, first.month - i
        while month < 1:
            month += 12
            year -= 1
        months.append(dt.date(year, month, 1))
    return months


def _window_start(months: list[dt.date]) -> dt.datetime:
    first = months[0]
    return dt.datetime(first.year, first.month, 1, tzinfo=timezone.get_current_timezone())


def _label(month: dt.date) -> str:
    return f"{month.year % 100:02d}/{month.month:02d}" if month.month == 1 else f"{month.month}"


def _by_month(rows: Any, months: list[dt.date], key: str = "n") -> list[int]:
    found: dict[dt.date, int] = {}
    for row in rows:
        m = row["m"]
        if isinstance(m, dt.datetime):
            m = timezone.localtime(m).date() if timezone.is_aware(m) else m.date()
        found[m.replace(day=1)] = int(row[key] or 0)
    return [found.get(m, 0) for m in months]


def _tier_names(shop_id: int) -> dict[int, str]:
    if not installed("tiers"):
        return {}
    from patron.tiers.models import Tier

    language = get_language() or "zh-hans"
    return {
        t.pk: t.display_name(language)
        for t in Tier.objects.filter(shop_id=shop_id).order_by("rank")
    }


def members_per_tier(shop_id: int) -> list[tuple[str, float]]:
    if not installed("tiers"):
        return []
    from patron.tiers.models import MemberTier, Tier

    names = _tier_names(shop_id)
    counts = dict(
        MemberTier.objects.filter(tier__shop_id=shop_id)
        .values_list("tier")
        .annotate(n=Count("member"))
        .values_list("tier", "n")
    )
    rows = []
    for tier in Tier.objects.filter(shop_id=shop_id, is_active=True).order_by("rank"):
        rows.append((names[tier.pk], float(counts.get(tier.pk, 0))))
    without = Member.objects.filter(shop_id=shop_id, tier_state__isnull=True).count()
    if without and rows:
        # Members never evaluated sit in the entry tier.
        rows[0] = (rows[0][0], rows[0][1] + without)
    return rows


def points_by_month(months: list[dt.date], shop_id: int) -> dict[str, list[int]]:
    empty = {
        "issued": [0] * len(months),
        "redeemed": [0] * len(months),
        "expired": [0] * len(months),
    }
    if not installed("points"):
        return empty
    from patron.points.models import LedgerEntry

    since = _window_start(months)
    entries = LedgerEntry.objects.filter(account__shop_id=shop_id, created_at__gte=since).annotate(
        m=TruncMonth("created_at")
    )
    issued = entries.filter(delta_lifetime__gt=0).values("m").annotate(n=Sum("delta_lifetime"))
    expired = entries.filter(kind="expire").values("m").annotate(n=Sum("points"))
    return {
        "issued": _by_month(issued, months),
        "redeemed": _redeemed_by_month(entries, months),
        "expired": [abs(v) for v in _by_month(expired, months)],
    }


GIVEN_BACK = ("redemption_cancelled", "order_cancelled", "order_refunded")


def _redeemed_by_month(entries: Any, months: list[dt.date]) -> list[int]:
    """Points spent, net of what was given back, by the month of each entry.

    Spent: a redemption (``redeem``, negative points) and a captured checkout
    hold (``capture`` is a zero line; what it spent is the hold's, in its
    ``held`` parameter). Given back: a ``release`` of a cancelled redemption
    or of a captured hold, and a ``reverse`` that credits points (a refund
    returning points used on an order; a negative ``reverse`` takes back
    earned points and is no redemption). A hold released without capture was
    never counted, so its release is not taken off either.
    """
    held = Cast(KeyTextTransform("held", "reason_params"), BigIntegerField())
    spent = entries.filter(kind="redeem").values("m").annotate(n=Sum("points"))
    captured = (
        entries.filter(kind="capture").annotate(held=held).values("m").annotate(n=Sum("held"))
    )
    # Releases of captured holds (promotions.services.holds) say why: the order was
    # cancelled or refunded; a hold released or timed out before capture
    # says hold_released / hold_expired and was never counted.
    given_back = (
        entries.filter(
            Q(kind="release", reason_code__in=GIVEN_BACK) | Q(kind="reverse", points__gt=0)
        )
        .values("m")
        .annotate(n=Sum("points"))
    )
    return [
        -s + c - g
        for s, c, g in zip(
            _by_month(spent, months),
            _by_month(captured, months),
            _by_month(given_back, months),
            strict=True,
        )
    ]


def points_liability(shop_id: int) -> dict[str, int]:
    """Outstanding points and their value in fen at the points-as-cash rate."""
    if not installed("points"):
        return {"points": 0, "fen": 0, "points_per_yuan": 0}
    from patron.points.models import PointsAccount, PointsCashSettings

    totals = PointsAccount.objects.filter(shop_id=shop_id).aggregate(
        a=Sum("available"), p=Sum("pending")
    )
    points = int(totals["a"] or 0) + int(totals["p"] or 0)
    rate = 100
    setting = PointsCashSettings.objects.filter(shop_id=shop_id).order_by("pk").first()
    if setting is not None and setting.points_per_yuan:
        rate = setting.points_per_yuan
    return {
        "points": points,
        "fen": divide(points * 100, rate, Rounding.HALF_UP),
        "points_per_yuan": rate,
    }


def coupon_rates(shop_id: int) -> dict[str, Any]:
    if not installed("promotions"):
        return {"issued": 0, "used": 0, "rate": None, "templates": [], "issue_rate": None}
    from patron.promotions.models import CouponTemplate

    templates = list(
        CouponTemplate.objects.filter(shop_id=shop_id, issued_count__gt=0).order_by(
            "-issued_count"
        )[:8]
    )
    totals = CouponTemplate.objects.filter(shop_id=shop_id).aggregate(
        i=Sum("issued_count"),
        u=Sum("used_count"),
        lim=Sum("total_limit", filter=Q(total_limit__gt=0)),
        il=Sum("issued_count", filter=Q(total_limit__gt=0)),
    )
    issued, used = int(totals["i"] or 0), int(totals["u"] or 0)
    limited, limited_issued = int(totals["lim"] or 0), int(totals["il"] or 0)
    return {
        "issued": issued,
        "used": used,
        "rate": used / issued if issued else None,
        "issue_rate": limited_issued / limited if limited else None,
        "templates": [(t.name, t.used_count / t.issued_count) for t in templates],
    }


def tier_order_stats(months: list[dt.date], shop_id: int) -> list[dict[str, Any]]:
    """Per current tier, over the window: average order value and orders per member.

    A member without a tier row has never been evaluated and sits in the
    entry tier (the lowest active one of the shop): their members and orders
    count there, as in :func:`members_per_tier`.
    """
    if not installed("tiers"):
        return []
    from patron.tiers.models import MemberTier, Tier

    since = _window_start(months)
    names = _tier_names(shop_id)
    tiers = list(Tier.objects.filter(shop_id=shop_id, is_active=True).order_by("rank"))
    entry: dict[int, int] = {}
    for tier in tiers:
        entry.setdefault(tier.shop_id, tier.pk)
    members_by_tier: dict[int, int] = defaultdict(int)
    orders_by_tier: dict[int, int] = defaultdict(int)
    revenue_by_tier: dict[int, int] = defaultdict(int)
    for tier_id, n in (
        MemberTier.objects.filter(tier__shop_id=shop_id)
        .values_list("tier")
        .annotate(n=Count("member"))
        .values_list("tier", "n")
    ):
        members_by_tier[tier_id] += n
    for member_shop, n in (
        Member.objects.filter(shop_id=shop_id, tier_state__isnull=True)
        .values_list("shop")
        .annotate(n=Count("id"))
        .values_list("shop", "n")
    ):
        if member_shop in entry:
            members_by_tier[entry[member_shop]] += n
    # Counted as the tiers app's statistics count them (orders.selectors).
    orders = order_selectors.counted_orders(
        Order.objects.filter(shop_id=shop_id, paid_at__gte=since)
    )
    net = order_selectors.net_revenue()
    tiered = (
        orders.filter(member__tier_state__isnull=False)
        .values_list("member__tier_state__tier")
        .annotate(orders=Count("id"), revenue=net)
    )
    untiered = (
        orders.filter(member__tier_state__isnull=True)
        .values_list("shop")
        .annotate(orders=Count("id"), revenue=net)
    )
    for tier_id, n, revenue in tiered:
        orders_by_tier[tier_id] += n
        revenue_by_tier[tier_id] += int(revenue or 0)
    for order_shop, n, revenue in untiered:
        if order_shop in entry:
            orders_by_tier[entry[order_shop]] += n
            revenue_by_tier[entry[order_shop]] += int(revenue or 0)
    stats = []
    for tier in tiers:
        members = members_by_tier[tier.pk]
        orders_n = orders_by_tier[tier.pk]
        revenue = revenue_by_tier[tier.pk]
        stats.append(
            {
                "name": names[tier.pk],
                "members": members,
                "orders": orders_n,
                "aov": divide(revenue, orders_n, Rounding.HALF_UP) if orders_n else 0,
                "frequency_x100": divide(orders_n * 100, members, Rounding.HALF_UP)
                if members
                else 0,
            }
        )
    return stats


def dashboard_context(shop_id: int) -> dict[str, Any]:
    """The dashboard of one shop: every figure and chart counts its data only."""
    months = _months()
    labels = [_label(m) for m in months]
    since = _window_start(months)
    new_members = _by_month(
        Member.objects.filter(shop_id=shop_id, registered_at__gte=since)
        .annotate(m=TruncMonth("registered_at"))
        .values("m")
        .annotate(n=Count("id")),
        months,
    )
    tiers = members_per_tier(shop_id)
    pts = points_by_month(months, shop_id)
    liability = points_liability(shop_id)
    coupons = coupon_rates(shop_id)
    tier_stats = tier_order_stats(months, shop_id)
    charts = {
        "tiers": hbar_chart(tiers, title=_("Members per tier")) if tiers else None,
        "new_members": bar_chart(
            labels, [Series(_("New members"), new_members)], title=_("New members per month")
        ),
        "points": bar_chart(
            labels,
            [
                Series(_("Issued"), pts["issued"], "#2f8f6b"),
                Series(_("Redeemed"), pts["redeemed"], "#b4282d"),
                Series(_("Expired"), pts["expired"], "#8e9aaf"),
            ],
            title=_("Points issued, redeemed and expired per month"),
        ),
        "coupons": hbar_chart(
            [(name, rate * 100) for name, rate in coupons["templates"]],
            title=_("Coupon redemption rate by template"),
            fmt=lambda v: f"{v:.0f}%",
            max_value=100,
        )
        if coupons["templates"]
        else None,
        "aov": hbar_chart(
            [(s["name"], s["aov"]) for s in tier_stats],
            title=_("Average order value per tier"),
            fmt=lambda v: format_money(int(v)),
        )
        if tier_stats
        else None,
        "frequency": hbar_chart(
            [(s["name"], s["frequency_x100"] / 100) for s in tier_stats],
            title=_("Orders per member per tier (12 months)"),
            fmt=lambda v: f"{v:.2f}",
        )
        if tier_stats
        else None,
    }
    month_rows = [
        {
            "label": f"{m.year}-{m.month:02d}",
            "new": new_members[i],
            "issued": pts["issued"][i],
            "redeemed": pts["redeemed"][i],
            "expired": pts["expired"][i],
        }
        for i, m in enumerate(months)
    ]
    by_tier: dict[str, Any] = defaultdict(dict)
    for name, n in tiers:
        by_tier[name]["members"] = int(n)
    return {
        "charts": charts,
        "kpi": {
            "members": Member.objects.filter(shop_id=shop_id).count(),
            "new_this_month": new_members[-1],
            "liability_fen": liability["fen"],
            "liability_points": liability["points"],
            "points_per_yuan": liability["points_per_yuan"],
            "coupon_rate": coupons["rate"],
            "coupon_issue_rate": coupons["issue_rate"],
            "coupons_issued": coupons["issued"],
            "coupons_used": coupons["used"],
        },
        "month_rows": month_rows,
        "tier_stats": tier_stats,
    }
