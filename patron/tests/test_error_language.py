"""Error details follow the request's language (Accept-Language or the
language cookie, zh-Hans by default) in the shop API, the console API and the
portal; the code and the field stay the same in every language."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, lazy_format
from patron.core.models import Shop
from patron.core.services import roles_sync
from patron.core.tests.client import ApiClient
from patron.members.models import Member

pytestmark = pytest.mark.django_db


def make_member(shop: Shop) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id="M1", registered_at=now, created_at=now, updated_at=now
    )


def both(api: ApiClient, path: str, body: Any) -> tuple[dict[str, Any], dict[str, Any], int]:
    zh = api.post(path, body, headers={"Accept-Language": "zh-Hans"})
    en = api.post(path, body, headers={"Accept-Language": "en"})
    assert zh.status_code == en.status_code
    return zh.json(), en.json(), zh.status_code


def test_a_business_refusal_in_zh_hans_and_en(shop: Shop, api: ApiClient) -> None:
    make_member(shop)
    zh, en, status = both(
        api,
        "/api/v1/members/M1/redemptions",
        {"reward_id": 999, "request_id": "r1"},
    )
    assert status == 404
    assert (zh["code"], zh["field"]) == (en["code"], en["field"]) == ("not_found", "reward_id")
    assert en["detail"] == "no such reward"
    assert zh["detail"] == "没有此礼品"
    assert zh["errors"] == [{"field": "reward_id", "message": "没有此礼品"}]


def test_a_message_with_values_in_zh_hans_and_en(shop: Shop, api: ApiClient) -> None:
    zh, en, status = both(
        api,
        "/api/v1/events",
        {
            "id": "e1",
            "type": "order.paid",
            "member": "M1",
            "occurred_at": "2126-01-01T00:00:00+08:00",
            "data": {},
        },
    )
    assert status == 422
    assert zh["code"] == en["code"] == "validation_error"
    assert zh["field"] == en["field"]
    assert zh["detail"] != en["detail"]
    assert en["detail"] == "occurred_at is in the future"
    assert zh["detail"] == "occurred_at 在未来"


def test_a_ninja_validation_error_in_zh_hans_and_en(shop: Shop, api: ApiClient) -> None:
    make_member(shop)
    zh, en, status = both(api, "/api/v1/members/M1/redemptions", {"request_id": "r1"})
    assert status == 422
    assert (
        (zh["code"], zh["field"])
        == (en["code"], en["field"])
        == (
            "validation_error",
            "reward_id",
        )
    )
    assert en["detail"] == "reward_id: Field required"
    assert zh["detail"] == "reward_id：必填"


def test_without_accept_language_the_detail_is_in_zh_hans(shop: Shop, api: ApiClient) -> None:
    make_member(shop)
    response = api.post("/api/v1/members/M1/redemptions", {"reward_id": 999, "request_id": "r1"})
    assert response.json()["detail"] == "没有此礼品"


def test_the_console_api_answers_in_the_operator_s_language(shop: Shop) -> None:
    roles_sync()
    user = User.objects.create_user("analyst", password="pw")
    user.groups.add(Group.objects.get(name="analyst"))
    member = make_member(shop)
    client = Client()
    client.force_login(user)
    url = f"/console/api/members/{member.pk}/points-adjustments"
    body = json.dumps({"points": 5, "reason": "x"})

    zh = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-Hans")
    en = client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")

    assert zh.status_code == en.status_code == 403
    assert zh.json()["code"] == en.json()["code"] == "forbidden"
    assert en.json()["detail"] == "your role lacks points.adjust_points"
    assert zh.json()["detail"] == "您的角色缺少权限 points.adjust_points"


def test_a_specific_refusal_code_keeps_its_code_in_both_languages(
    shop: Shop, api: ApiClient
) -> None:
    make_member(shop)
    zh, en, status = both(api, "/api/v1/members", {"external_id": "M\x002"})
    assert status == 422
    assert (
        (zh["code"], zh["field"])
        == (en["code"], en["field"])
        == (
            "validation_error",
            "external_id",
        )
    )
    assert "control characters" in en["detail"]
    assert "控制字符" in zh["detail"]


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Content-Length header"), ("zh-Hans", "请带 Content-Length 请求头")],
)
def test_a_refusal_before_the_locale_middleware_uses_the_request_s_language(
    api: ApiClient, language: str, words: str
) -> None:
    response = api.client.generic(
        "POST",
        "/api/v1/events",
        b"{}",
        content_type="application/json",
        headers=api._headers({"Accept-Language": language}),
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert response.json()["code"] == "length_required"
    assert words in response.json()["detail"]


def test_django_s_own_refusals_are_problems_in_the_request_s_language(api: ApiClient) -> None:
    en = api.client.get("/api/v1/nope", headers=api._headers({"Accept-Language": "en"}))
    zh = api.client.get("/api/v1/nope", headers=api._headers({"Accept-Language": "zh-Hans"}))
    assert en.status_code == zh.status_code == 404
    assert en.json()["code"] == zh.json()["code"] == "not_found"
    assert en.json()["detail"] == "no such resource; see /api/docs"
    assert zh.json()["detail"] == "没有此资源；请参阅 /api/docs"


def test_an_error_raised_in_one_language_renders_in_the_language_active_later() -> None:
    from django.utils import translation

    with translation.override("en"):
        error = PatronError(
            ErrorCode.LIMIT_REACHED,
            lazy_format(
                _("at most %(per_member_limit)s of this coupon per member"), per_member_limit=2
            ),
            field="template",
        )
    with translation.override("zh-hans"):
        assert error.as_problem()["detail"] == "每位会员最多 2 张此优惠券"
        assert error.errors == [{"field": "template", "message": "每位会员最多 2 张此优惠券"}]
    with translation.override("en"):
        assert error.detail == "at most 2 of this coupon per member"
    assert error.detail_en == "at most 2 of this coupon per member"


def _(text: str) -> Any:
    from django.utils.translation import gettext_lazy

    return gettext_lazy(text)
