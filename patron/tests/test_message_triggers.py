"""The messaging triggers of the owning apps, end to end: the real event
pipeline and jobs create the messages, the dispatcher sends them through a
real local SMTP server, and a retried event or a rerun job sends nothing
twice (issue 14, item 6)."""

from __future__ import annotations

import datetime as dt
import email
from email.header import decode_header, make_header
from typing import Any

import pytest
from django.db import transaction

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.models import Message, WebhookDelivery, WebhookSubscription
from patron.points.messages import points_expiring_notify
from patron.points.models import EntryKind
from patron.points.services import ledger
from patron.promotions.messages import coupons_expiring_notify
from patron.promotions.models import CouponSource
from patron.promotions.services import coupon_build
from patron.tests.conftest import SmtpInbox
from patron.tiers.models import Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))
NOON = dt.datetime(2026, 1, 10, 12, 0, tzinfo=SH)


@pytest.fixture
def member(shop: Shop) -> Member:
    clock.freeze(NOON)
    tiers_seed_defaults(shop=shop)
    WebhookSubscription.objects.create(
        shop=shop,
        url="https://shop.example/hooks",
        event_types=["*"],
        secret="whsec_test",
        created_at=clock.now(),
    )
    now = clock.now()
    return Member.objects.create(
        shop=shop,
        external_id="M1",
        name="王芳",
        email="m1@example.com",
        phone="+8613800000001",
        language="zh-hans",
        registered_at=now,
        created_at=now,
        updated_at=now,
    )


def paid(event_id: str, order_id: str, amount: int) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "order.paid",
        "member": "M1",
        "occurred_at": clock.now().isoformat(),
        "data": {
            "order_id": order_id,
            "lines": [{"line_id": "L1", "sku": "S1", "quantity": 1, "unit_price": amount}],
            "paid_amount": amount,
        },
    }


def subjects(smtp: SmtpInbox) -> list[str]:
    return [
        str(make_header(decode_header(email.message_from_bytes(raw)["Subject"])))
        for _from, _to, raw in smtp.messages
    ]


def deliveries(event_type: str) -> int:
    return WebhookDelivery.objects.filter(event_type=event_type).count()


def test_a_retried_order_event_sends_the_upgrade_once(
    api: Any, member: Member, smtp: SmtpInbox
) -> None:
    # Given an order that lifts the member to silver, through the shop API
    first = api.post("/api/v1/events", paid("e1", "O1", 100000))
    assert first.status_code == 201
    messaging.messages_dispatch()
    silver = Tier.objects.get(shop=member.shop, code="silver")
    # When the shop retries the same event, before and after the dispatch ran
    for _ in range(2):
        again = api.post("/api/v1/events", paid("e1", "O1", 100000))
        assert again.json() == first.json()
        messaging.messages_dispatch()
    # Then one upgrade message per channel exists, one mail went out, one webhook
    rows = Message.objects.filter(member=member, kind="tier.upgraded")
    assert sorted(rows.values_list("channel", "state")) == [
        ("email", "sent"),
        ("inapp", "delivered"),
    ]
    assert subjects(smtp) == [f"恭喜升级为{silver.name}"]
    assert deliveries("member.tier_changed") == 1
    payload = WebhookDelivery.objects.get(event_type="member.tier_changed").payload
    assert (payload["from"], payload["to"], payload["direction"]) == ("normal", "silver", "up")


def test_a_cancellation_that_takes_the_upgrade_back_says_so_once(api: Any, member: Member) -> None:
    api.post("/api/v1/events", paid("e1", "O1", 100000))
    cancel = {
        "id": "e2",
        "type": "order.cancelled",
        "member": "M1",
        "occurred_at": clock.now().isoformat(),
        "data": {"order_id": "O1"},
    }
    assert api.post("/api/v1/events", cancel).status_code == 201
    api.post("/api/v1/events", cancel)
    down = Message.objects.filter(member=member, kind="tier.downgraded", channel="inapp")
    assert down.count() == 1
    assert "调整为" in down.get().subject
    assert deliveries("member.tier_changed") == 2  # the upgrade and its reversal


def credit(member: Member, points: int, expires_at: dt.datetime) -> None:
    with transaction.atomic():
        account = ledger.account_lock(member=member)
        ledger.do_credit(
            account,
            points=points,
            kind=EntryKind.ADJUST,
            refs=ledger.Refs(reason_code="test_grant"),
            expires_at=expires_at,
        )


def test_the_expiry_reminder_goes_30_and_7_days_before_once_per_date(
    member: Member, smtp: SmtpInbox
) -> None:
    # Given lots expiring on 30 January (two of them), 15 January and 1 March
    jan30 = dt.datetime(2026, 1, 30, 23, 59, tzinfo=SH)
    credit(member, 60, jan30)
    credit(member, 40, jan30)
    credit(member, 25, dt.datetime(2026, 1, 15, 12, 0, tzinfo=SH))
    credit(member, 70, dt.datetime(2026, 3, 1, 12, 0, tzinfo=SH))
    # When the job runs twice on 10 January, and the mail goes out each time
    assert points_expiring_notify() == 6  # two dates x three channels
    messaging.messages_dispatch()
    assert points_expiring_notify() == 0
    messaging.messages_dispatch()
    # Then one message per date (30-day window for the 30th, 7-day for the 15th)
    mails = Message.objects.filter(kind="points.expiring", channel="email")
    assert sorted(mails.values_list("cause", flat=True)) == [
        "points_expiring:2026-01-15:7",
        "points_expiring:2026-01-30:30",
    ]
    assert sorted(subjects(smtp)) == [
        "您有100积分将于2026-01-30到期",
        "您有25积分将于2026-01-15到期",
    ]
    sms = Message.objects.get(kind="points.expiring", channel="sms", cause__contains="01-30")
    assert sms.sms_template_code == "points_expiring"
    assert sms.sms_params["points"] == "100"
    assert deliveries("points.expiring") == 2
    # And on 24 January the 30th is 6 days away: its 7-day reminder, once
    clock.freeze(dt.datetime(2026, 1, 24, 12, 0, tzinfo=SH))
    assert points_expiring_notify() == 3
    assert points_expiring_notify() == 0
    messaging.messages_dispatch()
    assert len(smtp.messages) == 3
    assert deliveries("points.expiring") == 3


def test_coupons_expiring_in_3_days_are_one_reminder_per_member_and_day(
    member: Member, smtp: SmtpInbox
) -> None:
    from patron.promotions.models import CouponTemplate

    template = CouponTemplate.objects.create(
        shop=member.shop, code="c10", name="满100减10", type="fixed", amount=1000,
        created_at=clock.now(),
    )  # fmt: skip
    ends = dt.datetime(2026, 1, 13, 23, 59, tzinfo=SH)
    for until in (ends, ends, ends + dt.timedelta(days=1)):
        coupon_build(
            template=template,
            member=member,
            source=CouponSource.CLAIM,
            issued_at=clock.now(),
            valid_from=clock.now(),
            valid_until=until,
        ).save()
    assert coupons_expiring_notify() == 2  # e-mail and inbox
    assert coupons_expiring_notify() == 0
    messaging.messages_dispatch()
    inbox = Message.objects.get(kind="coupon.expiring", channel="inapp")
    assert inbox.cause == "coupons_expiring:2026-01-13"
    assert "「满100减10」等2张优惠券将于2026-01-13到期" in inbox.body_text
    assert subjects(smtp) == ["您的优惠券将于2026-01-13到期"]
    assert deliveries("coupon.expiring") == 1
