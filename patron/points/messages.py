"""What members and the shop hear about points: the message kinds (registered
from ``PointsConfig.ready``), the manual adjustment's notice and the daily
reminder of points about to expire.

Both are transactional: they are about points the member holds (docs/
messaging.md, "Triggers"). The expiry reminder goes 30 and 7 days before an
expiry date, one message per member, expiry date and window: the cause is
``points_expiring:<date>:<window>``, so a rerun of the job, or two runs on
one day, send nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Sum
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
from patron.points.models import LotState, PointsAdjustment, PointsLot

EXPIRING = "points.expiring"
ADJUSTED = "points.adjusted"
WEBHOOK_EXPIRING = "points.expiring"
WEBHOOK_ADJUSTED = "points.adjusted"
# Days before the expiry date; the nearest window a date falls in is the one sent.
WINDOWS = (7, 30)


def register_kinds() -> None:
    channels = (Channel.EMAIL, Channel.SMS, Channel.INAPP)
    expiring = same_wording(
        (Channel.EMAIL, Channel.INAPP),
        zh=plain_wording(
            "您有{{ points }}积分将于{{ expires_on }}到期",
            "{{ member.name }}，您有{{ points }}积分将于{{ expires_on }}到期，"
            "请尽快使用。\n\n去兑换：{{ rewards_url }}",
        ),
        en=plain_wording(
            "{{ points }} points expire on {{ expires_on }}",
            "{{ member.name }}, {{ points }} of your points expire on {{ expires_on }}. "
            "Use them before then.\n\nRedeem them: {{ rewards_url }}",
        ),
    )
    expiring[Channel.SMS] = {
        "zh-hans": plain_wording(
            "",
            "{{ member.name }}，您的{{ points }}积分将于{{ expires_on }}到期，请尽快使用。",
            sms_template_code="points_expiring",
        ),
        "en": plain_wording(
            "",
            "{{ member.name }}, {{ points }} points expire on {{ expires_on }}.",
            sms_template_code="points_expiring",
        ),
    }
    kind_register(
        MessageKind(
            code=EXPIRING,
            category=Category.TRANSACTIONAL,
            variables={
                "points": "how many points expire on that date",
                "expires_on": "the expiry date (YYYY-MM-DD)",
                "days": "days left: 30 or 7",
                "rewards_url": "the rewards catalogue",
            },
            channels=channels,
            defaults=expiring,
        )
    )
    adjusted_channels = (Channel.EMAIL, Channel.INAPP)
    kind_register(
        MessageKind(
            code=ADJUSTED,
            category=Category.TRANSACTIONAL,
            variables={
                "points": "the change, signed (+100, -50)",
                "reason": "the reason the service team gave",
                "balance": "the available balance after it",
                "points_url": "the member's points history",
            },
            channels=adjusted_channels,
            defaults=same_wording(
                adjusted_channels,
                zh=plain_wording(
                    "您的积分已调整{{ points }}",
                    "{{ member.name }}，客服已为您调整积分{{ points }}，原因：{{ reason }}。"
                    "当前可用积分{{ balance }}。\n\n查看明细：{{ points_url }}",
                ),
                en=plain_wording(
                    "Your points were adjusted by {{ points }}",
                    "{{ member.name }}, our service team adjusted your points by {{ points }} "
                    "({{ reason }}). Available now: {{ balance }}.\n\n"
                    "See your history: {{ points_url }}",
                ),
            ),
        )
    )


def adjustment_notify(adjustment: PointsAdjustment, *, balance: int) -> None:
    """The member's notice and the shop's webhook of an applied adjustment,
    in its transaction; keyed by the adjustment, so it goes once."""
    member = adjustment.member
    key = f"points_adjustment:{adjustment.pk}"
    signed = f"{adjustment.points:+d}"
    messaging.member_notify(
        member=member,
        kind=ADJUSTED,
        cause=key,
        context={
            "points": signed,
            "reason": adjustment.reason,
            "balance": balance,
            "points_url": link("/points/"),
        },
        event_type=WEBHOOK_ADJUSTED,
        payload={
            "member": member.external_id,
            "points": adjustment.points,
            "reason": adjustment.reason,
            "available": balance,
            "adjustment": adjustment.pk,
        },
    )


def _window(days_left: int) -> int:
    return next(w for w in WINDOWS if days_left <= w)


def points_expiring_notify(*, today: dt.date | None = None) -> int:
    """Remind members of points expiring within 30 days, per expiry date:
    dates 8 to 30 days away in the 30-day window, 1 to 7 days away in the
    7-day one. Set-based: one grouped query finds (shop, member, date, points),
    then per batch one query for the members and one bulk send and webhook
    insert per (date, window). Returns the messages created."""
    today = today or clock.today()
    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=max(WINDOWS) + 1), dt.time(0), tzinfo=zone)
    rows = list(
        PointsLot.objects.filter(
            state=LotState.AVAILABLE,
            remaining__gt=0,
            expires_at__gte=start,
            expires_at__lt=end,
            expires_at__gt=clock.now(),
        )
        .annotate(day=TruncDate("expires_at", tzinfo=zone))
        .values("account__shop_id", "account__member_id", "day")
        .annotate(points=Sum("remaining"))
        .order_by("account__shop_id", "day", "account__member_id")
    )
    groups: dict[tuple[int, dt.date, int], dict[int, int]] = {}
    for row in rows:
        day: dt.date = row["day"]
        window = _window((day - today).days)
        key = (row["account__shop_id"], day, window)
        groups.setdefault(key, {})[row["account__member_id"]] = int(row["points"])
    created = 0
    for (shop_id, day, window), points in groups.items():
        created += _notify(shop_id=shop_id, day=day, window=window, points=points)
    return created


def _notify(*, shop_id: int, day: dt.date, window: int, points: Mapping[int, int]) -> int:
    def context(member: Member) -> dict[str, Any]:
        return {
            "points": points[member.pk],
            "expires_on": day.isoformat(),
            "days": window,
            "rewards_url": link("/rewards/"),
        }

    def payload(member: Member) -> dict[str, Any]:
        return {
            "member": member.external_id,
            "points": points[member.pk],
            "expires_on": day.isoformat(),
            "days_before": window,
        }

    return messaging.members_notify(
        shop_id=shop_id,
        member_ids=list(points),
        kind=EXPIRING,
        cause=f"points_expiring:{day.isoformat()}:{window}",
        context=context,
        event_type=WEBHOOK_EXPIRING,
        payload=payload,
    )
