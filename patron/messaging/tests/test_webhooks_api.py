"""/api/v1/webhooks: CRUD, the secret shown once, rotation, the delivery log
and resend, scopes and problem+json refusals."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from patron.core import clock
from patron.core.models import AuditLog, Shop
from patron.messaging.models import WebhookDelivery, WebhookSubscription
from patron.messaging.tests.http_server import Reply, local_server
from patron.messaging.webhooks import services

START = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
BASE = "/api/v1/webhooks"


def send(api: Any, method: str, path: str, body: Any = None) -> Any:
    return getattr(api.client, method)(
        path,
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )


@pytest.fixture
def hooks(make_api: Any) -> Any:
    return make_api("webhooks")


def create(hooks: Any, url: str = "http://127.0.0.1:9/hook", **extra: Any) -> Any:
    body = {"url": url, "event_types": ["member.tier_changed"], **extra}
    return hooks.post(BASE, body)


def test_create_answers_the_secret_once_and_reads_never_show_it(hooks: Any) -> None:
    clock.freeze(START)
    created = create(hooks, description="ERP")
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["url"] == "http://127.0.0.1:9/hook"
    assert body["event_types"] == ["member.tier_changed"]
    assert body["active"] is True
    assert body["description"] == "ERP"
    assert body["created_at"] == "2026-12-03T02:00:00+00:00"
    one = hooks.get(f"{BASE}/{body['id']}").json()
    listed = hooks.get(BASE).json()["items"]
    assert "secret" not in one and all("secret" not in item for item in listed)
    assert [item["id"] for item in listed] == [body["id"]]
    assert body["secret"] not in json.dumps([one, listed])


def test_create_with_a_url_that_is_not_http_is_422_naming_url_and_saves_nothing(
    hooks: Any,
) -> None:
    answer = create(hooks, url="ftp://shop.example.com/hook")
    assert answer.status_code == 422
    assert answer["Content-Type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["code"], problem["field"]) == ("validation_error", "url")
    assert WebhookSubscription.objects.count() == 0


def test_unknown_fields_and_bad_event_types_are_422(hooks: Any) -> None:
    assert create(hooks, secret="mine").json()["field"] == "secret"
    answer = hooks.post(BASE, {"url": "http://127.0.0.1:9/", "event_types": ["Bad Type"]})
    assert (answer.status_code, answer.json()["field"]) == (422, "event_types[0]")


def test_patch_changes_fields_and_delete_removes_it(hooks: Any) -> None:
    sid = create(hooks).json()["id"]
    patched = send(hooks, "patch", f"{BASE}/{sid}", {"active": False, "event_types": ["*"]})
    assert patched.status_code == 200
    assert (patched.json()["active"], patched.json()["event_types"]) == (False, ["*"])
    bad = send(hooks, "patch", f"{BASE}/{sid}", {"url": "mailto:x@example.com"})
    assert (bad.status_code, bad.json()["field"]) == (422, "url")
    assert send(hooks, "patch", f"{BASE}/{sid}", {"active": None}).status_code == 422
    assert WebhookSubscription.objects.get().url == "http://127.0.0.1:9/hook"
    assert send(hooks, "delete", f"{BASE}/{sid}").status_code == 204
    assert hooks.get(f"{BASE}/{sid}").status_code == 404
    actions = AuditLog.objects.filter(action__startswith="webhook.").order_by("pk")
    assert list(actions.values_list("action", flat=True)) == [
        "webhook.create",
        "webhook.update",
        "webhook.delete",
    ]


def test_another_shops_subscription_is_404(hooks: Any) -> None:
    other = Shop.objects.create(name="Other")
    theirs, _ = services.webhook_subscription_create(
        shop=other, url="http://127.0.0.1:9/x", event_types=["*"], actor=None
    )
    for method in ("get", "delete"):
        answer = send(hooks, method, f"{BASE}/{theirs.pk}")
        assert (answer.status_code, answer.json()["field"]) == (404, "subscription_id")
    assert hooks.get(f"{BASE}/{theirs.pk}/deliveries").status_code == 404
    assert WebhookSubscription.objects.filter(pk=theirs.pk).exists()


def test_rotate_secret_answers_the_new_one_and_the_window(hooks: Any) -> None:
    clock.freeze(START)
    created = create(hooks).json()
    rotated = hooks.post(f"{BASE}/{created['id']}/rotate-secret", {"keep_previous_hours": 2})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in ("", created["secret"])
    assert rotated.json()["previous_secret_valid_until"] == "2026-12-03T04:00:00+00:00"
    subscription = WebhookSubscription.objects.get()
    assert subscription.previous_secret == created["secret"]
    default = hooks.post(f"{BASE}/{created['id']}/rotate-secret")
    assert default.json()["previous_secret_valid_until"] == "2026-12-04T02:00:00+00:00"
    too_long = hooks.post(f"{BASE}/{created['id']}/rotate-secret", {"keep_previous_hours": 9999})
    assert (too_long.status_code, too_long.json()["field"]) == (422, "keep_previous_hours")


def test_the_delivery_log_shows_attempts_and_answers_and_resend_sends_again(
    hooks: Any, shop: Shop
) -> None:
    clock.freeze(START)
    answers = iter([Reply(500, "busy"), Reply(200, "thanks")])
    with local_server(lambda r: next(answers)) as srv:
        sid = create(hooks, url=srv.url).json()["id"]
        (delivery,) = services.webhook_emit(
            shop=shop, event_type="member.tier_changed", event_id="e-1", payload={"tier": "gold"}
        )
        services.webhook_deliver(delivery.pk)
        log = hooks.get(f"{BASE}/{sid}/deliveries")
        assert log.status_code == 200
        (item,) = log.json()["items"]
        assert item["state"] == "pending"
        assert item["attempt_count"] == 1
        assert item["payload"] == {"tier": "gold"}
        assert item["attempts"][0]["status_code"] == 500
        assert item["attempts"][0]["response_excerpt"] == "busy"

        resent = hooks.post(f"{BASE}/deliveries/{delivery.pk}/resend")
        assert resent.status_code == 202
        assert (resent.json()["state"], resent.json()["attempt_count"]) == ("pending", 0)
        assert services.webhook_deliver(delivery.pk) == "delivered"

    log = hooks.get(f"{BASE}/{sid}/deliveries", state="delivered").json()
    assert [a["status_code"] for a in log["items"][0]["attempts"]] == [500, 200]
    assert hooks.get(f"{BASE}/{sid}/deliveries", state="failed").json()["items"] == []
    assert hooks.post(f"{BASE}/deliveries/999999/resend").status_code == 404
    assert WebhookDelivery.objects.get().state == "delivered"


def test_the_log_pages_newest_first(hooks: Any, shop: Shop) -> None:
    sid = create(hooks, event_types=["*"]).json()["id"]
    for i in range(5):
        services.webhook_emit(shop=shop, event_type="points.adjusted", event_id=f"e{i}", payload={})
    first = hooks.get(f"{BASE}/{sid}/deliveries", limit=2).json()
    assert [d["event_id"] for d in first["items"]] == ["e4", "e3"]
    rest = hooks.get(f"{BASE}/{sid}/deliveries", limit=10, before=first["next_before"]).json()
    assert [d["event_id"] for d in rest["items"]] == ["e2", "e1", "e0"]
    assert rest["next_before"] is None


def test_a_key_without_the_webhooks_scope_is_403(make_api: Any) -> None:
    other = make_api("members:read")
    answer = other.post(BASE, {"url": "http://127.0.0.1:9/", "event_types": ["*"]})
    assert (answer.status_code, answer.json()["code"]) == (403, "forbidden")
    assert other.get(BASE).status_code == 403
    assert WebhookSubscription.objects.count() == 0
