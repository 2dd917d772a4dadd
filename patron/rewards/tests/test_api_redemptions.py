"""GET /members/{id}/redemptions: a member's redemptions, newest first."""

from __future__ import annotations

import pytest

from patron.core import clock
from patron.core.models import ApiScope, Shop
from patron.members.models import Member
from patron.promotions.tests.conftest import give_points, make_member
from patron.rewards.models import Reward

pytestmark = pytest.mark.django_db


def _reward(shop: Shop, name: str = "Tea cup") -> Reward:
    return Reward.objects.create(
        shop=shop, name=name, kind="other", points_price=100, created_at=clock.now()
    )


def test_redemptions_list_newest_first_with_status_filter_and_pages(
    api, shop: Shop, member: Member
) -> None:
    give_points(member, 1000)
    reward = _reward(shop)
    ids = []
    for n in range(3):
        placed = api.post(
            "/api/v1/members/M1/redemptions", {"reward_id": reward.pk, "request_id": f"r{n}"}
        )
        assert placed.status_code == 201, placed.content
        ids.append(placed.json()["id"])
    assert api.post(f"/api/v1/members/M1/redemptions/{ids[0]}/cancel", {}).status_code == 200
    other = make_member(shop, "M2")
    give_points(other, 1000)
    assert (
        api.post(
            "/api/v1/members/M2/redemptions", {"reward_id": reward.pk, "request_id": "x"}
        ).status_code
        == 201
    )

    first = api.get("/api/v1/members/M1/redemptions", limit=2).json()
    second = api.get("/api/v1/members/M1/redemptions", limit=2, before=first["next_before"]).json()
    cancelled = api.get("/api/v1/members/M1/redemptions", status="cancelled").json()

    assert [r["id"] for r in first["items"] + second["items"]] == list(reversed(ids))
    assert second["next_before"] is None
    assert first["items"][0]["reward_name"] == "Tea cup" and first["items"][0]["points"] == 100
    assert [(r["id"], r["status"]) for r in cancelled["items"]] == [(ids[0], "cancelled")]


def test_redemptions_list_needs_the_rewards_scope(make_api, member: Member) -> None:
    assert make_api(ApiScope.REWARDS).get("/api/v1/members/M1/redemptions").status_code == 200
    response = make_api(ApiScope.MEMBERS_READ).get("/api/v1/members/M1/redemptions")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_rewards_and_redemptions(api, shop: Shop, member: Member) -> None:
    from patron.core import clock

    give_points(member, 4000)
    reward = Reward.objects.create(
        shop=shop,
        name="帆布袋",
        kind="physical",
        points_price=1500,
        stock=1,
        created_at=clock.now(),
    )
    listing = api.get("/api/v1/rewards").json()["rewards"]
    assert [r["name"] for r in listing] == ["帆布袋"]
    body = {"reward_id": reward.pk, "request_id": "r-1", "shipping_address": "北京市"}
    placed = api.post("/api/v1/members/M1/redemptions", body)
    assert placed.status_code == 201, placed.content
    again = api.post("/api/v1/members/M1/redemptions", body)
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == placed.json()
    sold_out = api.post("/api/v1/members/M1/redemptions", {**body, "request_id": "r-2"})
    assert sold_out.status_code == 409 and sold_out.json()["code"] == "sold_out"
    rid = placed.json()["id"]
    cancelled = api.post(f"/api/v1/members/M1/redemptions/{rid}/cancel", {"reason": "wrong size"})
    assert cancelled.json()["status"] == "cancelled"
