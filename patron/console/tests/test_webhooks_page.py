"""The console's webhooks page: the delivery log with attempts and answers,
and the resend button (permission-checked, confirmed, audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import AuditLog, Shop
from patron.messaging.models import WebhookDelivery
from patron.messaging.webhooks import services

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def delivery(shop: Shop) -> WebhookDelivery:
    clock.freeze(START)
    # made directly: the service refuses a host that does not resolve outside DEBUG
    subscription = services.WebhookSubscription.objects.create(
        shop=shop,
        url="https://erp.example.com/hooks",
        event_types=["*"],
        secret="s",
        created_at=START,
    )
    (made,) = services.webhook_emit(
        shop=shop, event_type="member.tier_changed", event_id="evt-42", payload={"a": 1}
    )
    services._record_attempt(made, START, 503, "upstream busy", "", 12)
    assert subscription.pk == made.subscription_id
    made.refresh_from_db()
    return made


def test_the_log_shows_each_delivery_its_attempts_and_answers(
    as_role: Any, delivery: WebhookDelivery
) -> None:
    page = as_role("admin").get(f"/console/webhooks/?subscription={delivery.subscription_id}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "https://erp.example.com/hooks" in html
    assert "evt-42" in html
    assert "upstream busy" in html
    assert ">503<" in html
    assert 'name="delivery"' in html  # the resend form


@pytest.mark.parametrize("role", ["marketing", "finance", "analyst", "service_lead"])
def test_other_roles_may_neither_read_nor_resend(
    as_role: Any, delivery: WebhookDelivery, role: str
) -> None:
    client = as_role(role)
    assert client.get("/console/webhooks/").status_code == 403
    answer = client.post("/console/webhooks/resend/", {"delivery": delivery.pk, "confirm": "1"})
    assert answer.status_code == 403
    assert not AuditLog.objects.filter(action="webhook.resend").exists()


def test_resend_needs_the_confirmation_then_starts_a_new_cycle(
    as_role: Any, delivery: WebhookDelivery
) -> None:
    admin = as_role("admin")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", next_attempt_at=None)
    unconfirmed = admin.post("/console/webhooks/resend/", {"delivery": delivery.pk})
    assert unconfirmed.status_code == 302
    assert WebhookDelivery.objects.get().state == "failed"
    clock.advance(dt.timedelta(days=2))
    confirmed = admin.post("/console/webhooks/resend/", {"delivery": delivery.pk, "confirm": "1"})
    assert confirmed.status_code == 302
    assert confirmed["Location"].endswith(f"?subscription={delivery.subscription_id}")
    resent = WebhookDelivery.objects.get()
    assert (resent.state, resent.attempts, resent.cycle_started_at) == ("pending", 0, clock.now())
    entry = AuditLog.objects.get(action="webhook.resend")
    assert entry.actor is not None and entry.actor.username == "admin"


def test_another_shops_delivery_and_subscription_are_404(
    as_role: Any, delivery: WebhookDelivery
) -> None:
    other = Shop.objects.create(name="Other")
    theirs = services.WebhookSubscription.objects.create(
        shop=other, url="https://x.example.com/", event_types=["*"], secret="s", created_at=START
    )
    (their_delivery,) = services.webhook_emit(
        shop=other, event_type="a.b", event_id="e", payload={}
    )
    admin = as_role("admin")
    assert admin.get(f"/console/webhooks/?subscription={theirs.pk}").status_code == 404
    answer = admin.post(
        "/console/webhooks/resend/", {"delivery": their_delivery.pk, "confirm": "1"}
    )
    assert answer.status_code == 404
    assert admin.post("/console/webhooks/resend/", {"delivery": "x"}).status_code == 422
