"""POST /api/v1/assistant/ask: the answer, confidence, candidates and the
hand-off link; a key without the service scope gets 403; bad input is a 422
problem naming the field, never a 500, and logs nothing."""

from __future__ import annotations

from typing import Any

import pytest

from patron.assistant.models import Asked, Entry
from patron.core.models import Shop
from patron.core.tests.client import ApiClient
from patron.members.models import Member
from patron.promotions.tests.conftest import issue, make_template

pytestmark = pytest.mark.django_db
URL = "/api/v1/assistant/ask"


def test_a_confident_answer_with_its_candidates(api: ApiClient, kb: list[Entry]) -> None:
    response = api.post(URL, {"text": "How do I earn points？"})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "answered" and body["entry"] == "points-earn"
    assert body["language"] == "en"
    assert body["answer"] == "You earn 1 point for every yuan you spend."
    assert 0 < body["confidence"] <= 1
    # the next best after the answer: the other points entry first
    keys = [c["key"] for c in body["candidates"]]
    assert keys[0] == "points-use" and "points-earn" not in keys and len(keys) <= 2
    assert body["handoff_offered"] is False and body["handoff_url"] is None
    assert Asked.objects.get().channel == "api"


def test_unsure_offers_two_candidates_and_the_handoff_link(api: ApiClient, kb: list[Entry]) -> None:
    body = api.post(URL, {"text": "积分怎么"}).json()
    assert body["outcome"] == "unsure"
    # the two points entries, as close as each other (their order is the engine's)
    assert sorted(c["question"] for c in body["candidates"]) == ["积分怎么使用", "积分怎么获得"]
    assert body["handoff_offered"] is True
    assert body["handoff_url"].endswith("/service/chat/")


def test_member_data_for_the_named_member_only(
    api: ApiClient, shop: Shop, member: Member, other: Member
) -> None:
    issue(make_template(shop, name="满100减10"), member)
    mine = api.post(URL, {"text": "我有哪些优惠券能用", "member": "M100"}).json()
    assert mine["outcome"] == "member_data" and "满100减10" in mine["answer"]
    assert mine["link"].endswith("/coupons/")
    theirs = api.post(URL, {"text": "我有哪些优惠券能用", "member": "M200"}).json()
    assert "满100减10" not in theirs["answer"]


def test_without_a_member_the_answer_asks_to_sign_in(api: ApiClient) -> None:
    body = api.post(URL, {"text": "我的积分还有多少", "language": "zh-hans"}).json()
    assert body["outcome"] == "member_data"
    assert body["answer"] == "请先登录会员中心，我才能查看您自己的账户。"
    assert body["handoff_offered"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   "}, "text"),
        ({"text": "积" * 501}, "text"),
        ({"text": "x" * 20_000}, "text"),
        ({"text": "\x00\x01\x02PK\x03\x04"}, "text"),
        ({"text": "abc\ufffd\ufffd"}, "text"),
        ({"text": 12}, "text"),
        ({}, "text"),
        ({"text": "hi", "member": "NOPE"}, "member"),
        ({"text": "hi", "language": "fr"}, "language"),
        ({"text": "hi", "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    api: ApiClient, kb: list[Entry], body: dict[str, Any], field: str
) -> None:
    response = api.post(URL, body)
    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["field"] == field or field in str(problem.get("errors"))
    assert Asked.objects.count() == 0


def test_malformed_json_is_400(api: ApiClient) -> None:
    response = api.post(URL, raw=b"\xff\xfe{not json")
    assert response.status_code == 400
    assert Asked.objects.count() == 0


def test_a_key_without_the_service_scope_is_refused(make_api: Any, kb: list[Entry]) -> None:
    response = make_api("points:read").post(URL, {"text": "积分怎么获得"})
    assert response.status_code == 403
    assert Asked.objects.count() == 0
    assert ApiClient("nope").post(URL, {"text": "积分怎么获得"}).status_code == 401


def test_feedback_marks_the_answer_not_helpful_within_the_shop(
    api: ApiClient, kb: list[Entry], member: Member
) -> None:
    asked_id = api.post(URL, {"text": "积分怎么获得", "member": "M100"}).json()["asked_id"]
    response = api.post(
        f"/api/v1/assistant/asked/{asked_id}/feedback", {"member": "M100", "helpful": False}
    )
    assert response.status_code == 200
    assert Asked.objects.get().helpful is False
    other_shop = Shop.objects.create(name="Other")
    from patron.core import services as core_services

    key = core_services.api_key_create(shop=other_shop, name="o", scopes=["service"]).token
    refused = ApiClient(key).post(f"/api/v1/assistant/asked/{asked_id}/feedback", {"helpful": True})
    assert refused.status_code == 404
    assert Asked.objects.get().helpful is False
