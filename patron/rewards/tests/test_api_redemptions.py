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
