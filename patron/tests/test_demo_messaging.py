"""seed-demo's messaging step: the demo shop has preferences changed in the
portal, a webhook subscription, and inbox messages made by the real triggers
and reminder jobs; the ledger still balances."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.demo import DEMO_MEMBER_EXTERNAL_ID
from patron.demo.data import demo_seed
from patron.messaging.models import ConsentChange, Message, WebhookSubscription
from patron.messaging.selectors import granted_member_ids
from patron.points.selectors import ledger_mismatches

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 23, 15, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_demo_shop_has_messages_preferences_and_a_subscription() -> None:
    clock.freeze(NOW)
    ctx = demo_seed(members=60, orders=400, seed=7)
    demo = next(m for m in ctx.members if m.external_id == DEMO_MEMBER_EXTERNAL_ID)
    inbox = Message.objects.filter(member=demo, channel="inapp").order_by("pk")
    assert "tier.upgraded" in set(inbox.values_list("kind", flat=True))
    assert inbox.filter(read_at__isnull=False).count() == 1
    assert inbox.filter(read_at__isnull=True).exists()
    assert granted_member_ids([demo.pk], channel="email", category="marketing") == {demo.pk}
    assert ConsentChange.objects.filter(source="portal").count() == ctx.summary["consent_changes"]
    assert ctx.summary["consent_changes"] >= 2
    assert Message.objects.count() == ctx.summary["messages"] > ctx.summary["reminders"]
    (hook,) = WebhookSubscription.objects.filter(shop=ctx.shop)
    assert "points.*" in hook.event_types and not hook.active
    assert ledger_mismatches() == []
