"""The preferences API and the delivery log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from patron.core.models import Shop
from patron.members.models import Member
from patron.messaging import services
from patron.messaging.models import ConsentChange
from patron.messaging.tests.conftest import make_member

pytestmark = pytest.mark.django_db


def _put(api: Any, path: str, body: Any) -> Any:
    return api.client.put(
        path,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.token}"},
    )


def test_get_and_put_preferences(api: Any, member: Member) -> None:
    url = f"/api/v1/members/{member.external_id}/preferences"
    got = api.get(url)
    assert got.status_code == 200
    assert got.json()["email"] == {"transactional": True, "service": True, "marketing": False}

    put = _put(api, url, {"email": {"marketing": True}, "sms": {"service": False}})
    assert put.status_code == 200, put.content
    body = put.json()
    assert (body["email"]["marketing"], body["sms"]["service"]) == (True, False)
    assert set(ConsentChange.objects.values_list("channel", "category", "source")) == {
        ("email", "marketing", "shop_api"),
        ("sms", "service", "shop_api"),
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"fax": {"marketing": True}}, "fax"),
        ({"email": {"spam": True}}, "email.spam"),
        ({"inapp": {"transactional": False}}, "inapp.transactional"),
    ],
)
def test_bad_preferences_are_refused_naming_the_field(
    api: Any, member: Member, body: Any, field: str
) -> None:
    response = _put(api, f"/api/v1/members/{member.external_id}/preferences", body)
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["field"] == field
    assert ConsentChange.objects.count() == 0


def test_a_non_boolean_choice_is_refused(api: Any, member: Member) -> None:
    response = _put(
        api, f"/api/v1/members/{member.external_id}/preferences", {"email": {"marketing": "yes"}}
    )
    assert response.status_code == 422
    assert "email" in response.json()["field"]


def test_unknown_member_is_404(api: Any, shop: Shop) -> None:
    response = api.get("/api/v1/members/NOPE/preferences")
    assert (response.status_code, response.json()["code"]) == (404, "unknown_member")


def test_delivery_log_filters_and_pages(api: Any, shop: Shop) -> None:
    one, two = make_member(shop, 1), make_member(shop, 2)
    for n in range(3):
        services.message_send(
            member=one,
            kind="test.tier_upgraded",
            cause=f"c{n}",
            context={"tier": "金"},
            channels=["inapp"],
        )
    services.message_send(
        member=two, kind="test.newsletter", cause="c", context={"offer": "x"}, channels=["email"]
    )
    page = api.get("/api/v1/messages", member="M1", limit=2).json()
    assert [i["cause"] for i in page["items"]] == ["c2", "c1"]
    rest = api.get("/api/v1/messages", member="M1", limit=2, before=page["next_before"]).json()
    assert ([i["cause"] for i in rest["items"]], rest["next_before"]) == (["c0"], None)

    suppressed = api.get("/api/v1/messages", state="suppressed").json()["items"]
    assert [(i["member"], i["reason"]) for i in suppressed] == [("M2", "consent_refused")]
    by_kind = api.get("/api/v1/messages", kind="test.newsletter").json()["items"]
    assert len(by_kind) == 1

    bad = api.get("/api/v1/messages", state="lost")
    assert (bad.status_code, bad.json()["field"]) == (422, "state")
