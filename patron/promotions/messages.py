"""What members and the shop hear about coupons: the message kinds
(registered from ``PromotionsConfig.ready``), the notice of a coupon Patron
hands out and the daily reminder of coupons expiring in 3 days.

Both are transactional (a coupon the member holds; docs/messaging.md,
"Triggers"). A coupon the member took themselves (claim, public code, flash
sale, points redemption) brings no message, they are looking at it; a
birthday coupon is in the birthday gift's message. The shop's webhook
``coupon.issued`` goes for every coupon.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from patron.core import clock
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.kinds import (
    MessageKind,
    kind_register,
    link,
    plain_wording,
    same_wording,
)
from patron.messaging.models import Category, Channel
from patron.messaging.webhooks.services import webhook_emit
from patron.promotions.models import Coupon, CouponSource, CouponStatus

ISSUED = "coupon.issued"
EXPIRING = "coupon.expiring"
WEBHOOK_ISSUED = "coupon.issued"
WEBHOOK_EXPIRING = "coupon.expiring"
EXPIRING_DAYS = 3
# Sources that bring the member a message (see the module's docstring).
NOTIFIED_SOURCES = frozenset({CouponSource.CAMPAIGN, CouponSource.OPERATOR})
CHANNELS = (Channel.EMAIL, Channel.INAPP)


def register_kinds() -> None:
    kind_register(
        MessageKind(
            code=ISSUED,
            category=Category.TRANSACTIONAL,
            variables={
                "coupon": "the coupon's name",
                "valid_until": "the last day it can be used (YYYY-MM-DD)",
                "coupons_url": "the member's coupon wallet",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "您获得了一张优惠券：{{ coupon }}",
                    "{{ member.name }}，{{ shop.name }}送您一张「{{ coupon }}」，"
                    "有效期至{{ valid_until }}。\n\n查看我的优惠券：{{ coupons_url }}",
                ),
                en=plain_wording(
                    "A coupon for you: {{ coupon }}",
                    "{{ member.name }}, {{ shop.name }} has given you a coupon: {{ coupon }}, "
                    "valid until {{ valid_until }}.\n\nSee your coupons: {{ coupons_url }}",
                ),
            ),
        )
    )
    kind_register(
        MessageKind(
            code=EXPIRING,
            category=Category.TRANSACTIONAL,
            variables={
                "coupon": "the name of one of the coupons",
                "count": "how many of the member's coupons expire that day",
                "expires_on": "the day they expire (YYYY-MM-DD)",
                "coupons_url": "the member's coupon wallet",
            },
            channels=CHANNELS,
            defaults=same_wording(
                CHANNELS,
                zh=plain_wording(
                    "您的优惠券将于{{ expires_on }}到期",
                    "{{ member.name }}，您的「{{ coupon }}」"
                    "{% if count > 1 %}等{{ count }}张优惠券{% endif %}将于{{ expires_on }}到期，"
                    "请尽快使用。\n\n查看我的优惠券：{{ coupons_url }}",
                ),
                en=plain_wording(
                    "Your coupon expires on {{ expires_on }}",
                    "{{ member.name }}, {{ coupon }}"
                    "{% if count > 1 %} and {{ count }} coupons in all{% endif %} "
                    "expire on {{ expires_on }}. Use them before then.\n\n"
                    "See your coupons: {{ coupons_url }}",
                ),
            ),
        )
    )


def coupon_issued_notify(coupon: Coupon) -> None:
    """In the issuing transaction: the member's notice (for the sources that
    bring one) and the shop's webhook; keyed by the coupon, so once."""
    member = coupon.member
    key = f"coupon:{coupon.pk}"
    if coupon.source in NOTIFIED_SOURCES:
        messaging.message_send(
            member=member,
            kind=ISSUED,
            cause=key,
            context={
                "coupon": coupon.template.name,
                "valid_until": timezone.localtime(coupon.valid_until).date().isoformat(),
                "coupons_url": link("/coupons/"),
            },
        )
    webhook_emit(
        shop=coupon.shop_id,
        event_type=WEBHOOK_ISSUED,
        event_id=key,
        payload={
            "member": member.external_id,
            "coupon": coupon.code,
            "template": coupon.template.code,
            "source": coupon.source,
            "valid_until": coupon.valid_until,
        },
    )


def coupons_expiring_notify(*, today: dt.date | None = None) -> int:
    """Remind each member once per expiry date of their available coupons
    that expire in 3 days (the day three days from today, shop time zone).
    Set-based: one grouped query, then per batch one query for the members
    and one bulk send and webhook insert. The cause is
    ``coupons_expiring:<date>``, so reruns send nothing twice. Returns the
    messages created."""
    today = today or clock.today()
    day = today + dt.timedelta(days=EXPIRING_DAYS)
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    rows = list(
        Coupon.objects.filter(
            status=CouponStatus.AVAILABLE,
            valid_until__gte=start,
            valid_until__lt=start + dt.timedelta(days=1),
        )
        .annotate(day=TruncDate("valid_until", tzinfo=zone))
        .values("shop_id", "member_id")
        .annotate(count=Count("id"), first=Min("template__name"))
        .order_by("shop_id", "member_id")
    )
    by_shop: dict[int, dict[int, tuple[int, str]]] = {}
    for row in rows:
        by_shop.setdefault(row["shop_id"], {})[row["member_id"]] = (row["count"], row["first"])
    created = 0
    for shop_id, found in by_shop.items():
        created += _notify(shop_id=shop_id, day=day, found=found)
    return created


def _notify(*, shop_id: int, day: dt.date, found: dict[int, tuple[int, str]]) -> int:
    def context(member: Member) -> dict[str, Any]:
        count, name = found[member.pk]
        return {
            "coupon": name,
            "count": count,
            "expires_on": day.isoformat(),
            "coupons_url": link("/coupons/"),
        }

    def payload(member: Member) -> dict[str, Any]:
        return {"member": member.external_id, "coupons": found[member.pk][0], "expires_on": day}

    return messaging.members_notify(
        shop_id=shop_id,
        member_ids=list(found),
        kind=EXPIRING,
        cause=f"coupons_expiring:{day.isoformat()}",
        context=context,
        event_type=WEBHOOK_EXPIRING,
        payload=payload,
    )
