"""POST /api/v1/members (create or update by external_id) and GET /api/v1/members/{id}."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from patron.core import clock
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory

URL = "/api/v1/members"
PROBLEM = "application/problem+json"
NOW = dt.datetime(2026, 11, 11, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


FULL = {
    "external_id": "M100",
    "name": "李娜",
    "phone": "13812345678",
    "email": "Li.Na@Example.CN",
    "birthday": "1992-02-29",
    "gender": "female",
    "registered_at": "2025-01-01T09:30:00+08:00",
    "registration_channel": "app",
    "language": "en",
    "consents": {"email": True, "sms": True, "in_app": False},
}
FULL_OUT = {
    "external_id": "M100",
    "name": "李娜",
    "phone": "+8613812345678",
    "email": "Li.Na@example.cn",
    "birthday": "1992-02-29",
    "gender": "female",
    "registered_at": "2025-01-01T01:30:00+00:00",
    "registration_channel": "app",
    "language": "en",
    "consents": {"email": True, "sms": True, "in_app": False},
}


def test_create_returns_201_with_the_normalised_member(api: Any, shop: Any):
    response = api.post(URL, FULL)
    assert response.status_code == 201
    assert response.json() == FULL_OUT
    member = Member.objects.get(shop=shop, external_id="M100")
    assert member.phone == "+8613812345678"
    assert member.created_at == member.updated_at == NOW


def test_create_with_only_an_id_takes_the_defaults(api: Any):
    response = api.post(URL, {"external_id": "M1"})
    assert response.status_code == 201
    assert response.json() == {
        "external_id": "M1",
        "name": "",
        "phone": "",
        "email": "",
        "birthday": None,
        "gender": "",
        "registered_at": "2026-11-11T02:00:00+00:00",
        "registration_channel": "web",
        "language": "zh-hans",
        "consents": {"email": False, "sms": False, "in_app": False},
    }


def test_update_by_external_id_changes_only_the_fields_sent(api: Any):
    api.post(URL, FULL)
    clock.advance(dt.timedelta(hours=1))
    response = api.post(
        URL, {"external_id": "M100", "phone": "+447911123456", "consents": {"sms": False}}
    )
    assert response.status_code == 200
    assert response.json() == FULL_OUT | {
        "phone": "+447911123456",
        "consents": {"email": True, "sms": False, "in_app": False},
    }
    member = Member.objects.get()
    assert member.updated_at == NOW + dt.timedelta(hours=1)
    assert member.created_at == NOW


def test_update_with_nothing_new_keeps_updated_at(api: Any):
    api.post(URL, FULL)
    clock.advance(dt.timedelta(hours=1))
    assert api.post(URL, FULL).status_code == 200
    assert Member.objects.get().updated_at == NOW


def test_empty_phone_and_email_clear_them(api: Any):
    api.post(URL, FULL)
    response = api.post(URL, {"external_id": "M100", "phone": "", "email": ""})
    assert (response.json()["phone"], response.json()["email"]) == ("", "")


def test_get_returns_the_member(api: Any):
    api.post(URL, FULL)
    response = api.get(f"{URL}/M100")
    assert response.status_code == 200
    assert response.json() == FULL_OUT


def test_get_unknown_member_is_a_problem(api: Any):
    response = api.get(f"{URL}/NOBODY")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == ("unknown_member", "external_id")


def test_members_of_another_shop_are_invisible(api: Any):
    MemberFactory.create(external_id="M100")  # in a shop of its own
    assert api.get(f"{URL}/M100").json()["code"] == "unknown_member"
    assert api.post(URL, {"external_id": "M100"}).status_code == 201
    assert Member.objects.filter(external_id="M100").count() == 2


V = "validation_error"
BAD: list[tuple[str, Any, str]] = [
    ("external_id missing", {"name": "x"}, "external_id"),
    ("external_id null", {"external_id": None}, "external_id"),
    ("external_id int", {"external_id": 100}, "external_id"),
    ("external_id empty", {"external_id": ""}, "external_id"),
    ("external_id blank", {"external_id": "   "}, "external_id"),
    ("external_id too long", {"external_id": "M" * 65}, "external_id"),
    ("external_id NUL", {"external_id": "M\x00"}, "external_id"),
    ("name int", {"name": 5}, "name"),
    ("name too long", {"name": "n" * 101}, "name"),
    ("name NUL", {"name": "李\x00"}, "name"),
    ("name lone surrogate", {"name": "李\ud800"}, "name"),
    ("phone landline", {"phone": "02012345678"}, "phone"),
    ("phone garbage", {"phone": "phone"}, "phone"),
    ("phone int", {"phone": 13812345678}, "phone"),
    ("phone too long", {"phone": "1" * 31}, "phone"),
    ("email bad", {"email": "li@"}, "email"),
    ("email int", {"email": 1}, "email"),
    ("email too long", {"email": "a" * 250 + "@x.cn"}, "email"),
    ("birthday future", {"birthday": "2027-01-01"}, "birthday"),
    ("birthday before 1900", {"birthday": "1899-12-31"}, "birthday"),
    ("birthday not a date", {"birthday": "1992-02-30"}, "birthday"),
    ("birthday int", {"birthday": 19920229}, "birthday"),
    ("birthday datetime", {"birthday": "1992-02-29T00:00:00+08:00"}, "birthday"),
    ("gender", {"gender": "f"}, "gender"),
    ("registered_at naive", {"registered_at": "2025-01-01T09:30:00"}, "registered_at"),
    ("registered_at int", {"registered_at": 1735695000}, "registered_at"),
    ("registered_at numeric string", {"registered_at": "1735695000"}, "registered_at"),
    ("registered_at year 1", {"registered_at": "0001-01-01T00:00:00+14:00"}, "registered_at"),
    ("registered_at year 9999", {"registered_at": "9999-12-31T23:59:59-12:00"}, "registered_at"),
    ("registration_channel", {"registration_channel": "import"}, "registration_channel"),
    ("language", {"language": "zh"}, "language"),
    ("consents list", {"consents": [True]}, "consents"),
    ("consent string", {"consents": {"email": "true"}}, "consents.email"),
    ("consent int", {"consents": {"sms": 0}}, "consents.sms"),
    ("consent unknown channel", {"consents": {"post": True}}, "consents.post"),
    ("extra field", {"points": 100}, "points"),
    ("extra field lone surrogate", {"\udc00": 1}, "body"),
]


@pytest.mark.parametrize(
    ("body", "field"), [pytest.param(body, field, id=name) for name, body, field in BAD]
)
def test_bad_member_is_refused_naming_the_field_and_changes_nothing(
    api: Any, row_counts: Any, body: dict[str, Any], field: str
):
    api.post(URL, FULL)
    if field != "external_id":
        body = {"external_id": "M100", **body}
    before = row_counts()
    stored = Member.objects.values().get()
    response = api.post(URL, body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    assert (response.json()["code"], response.json()["field"]) == (V, field)
    assert row_counts() == before
    assert Member.objects.values().get() == stored


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("{", 400, "malformed_json"),
        ("[]", 422, V),
        ('[{"external_id": "M1"}]', 422, V),
        ("null", 422, V),
        ("", 422, V),
    ],
)
def test_malformed_member_bodies(api: Any, raw: str, status: int, code: str):
    response = api.post(URL, raw=raw)
    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, "body")
    assert Member.objects.count() == 0


def test_oversize_member_body_is_413(api: Any, settings: Any):
    settings.PATRON_API_MAX_BODY_BYTES = 100
    response = api.post(URL, {"external_id": "M1", "name": "x" * 100})
    assert response.status_code == 413
    assert (response.json()["code"], response.json()["field"]) == ("body_too_large", "body")
    assert Member.objects.count() == 0


def test_idempotency_key_replays_the_stored_answer(api: Any, row_counts: Any):
    first = api.post(URL, FULL, headers={"Idempotency-Key": "create-M100"})
    assert first.status_code == 201
    clock.advance(dt.timedelta(minutes=5))
    before = row_counts()
    second = api.post(URL, FULL, headers={"Idempotency-Key": "create-M100"})
    assert second.status_code == 201  # the stored answer, not "200 updated"
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert row_counts() == before


def test_idempotency_key_reused_with_another_body_is_refused(api: Any, row_counts: Any):
    api.post(URL, FULL, headers={"Idempotency-Key": "k"})
    before = row_counts()
    response = api.post(URL, FULL | {"name": "王"}, headers={"Idempotency-Key": "k"})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "idempotency_key_reused",
        "Idempotency-Key",
    )
    assert row_counts() == before
    assert Member.objects.get().name == "李娜"


def test_refused_member_under_a_key_can_be_retried(api: Any):
    bad = api.post(URL, FULL | {"phone": "02012345678"}, headers={"Idempotency-Key": "k"})
    assert bad.status_code == 422
    good = api.post(URL, FULL, headers={"Idempotency-Key": "k"})
    assert good.status_code == 201
    assert "Idempotent-Replayed" not in good
