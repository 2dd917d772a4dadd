"""Sign-up and profile-completed points on the member API and the admin: granted
once, when the member is created and when their profile is first complete."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.events import services as event_services
from patron.members.models import Member
from patron.members.tests.factories import MemberFactory
from patron.members.tests.test_api import FULL, FULL_OUT, NOW, URL
from patron.points.models import LedgerEntry, PointsAccount
from patron.points.tests.conftest import make_rule


@pytest.fixture(autouse=True)
def _frozen() -> None:
    clock.freeze(NOW)


@pytest.fixture
def rules(shop: Any) -> dict[str, Any]:
    return {
        "signup": make_rule(shop, "member.registered", points=100),
        "profile": make_rule(shop, "profile.completed", points=50),
    }


def entries() -> list[tuple[str, int, int | None]]:
    return list(LedgerEntry.objects.order_by("pk").values_list("reason_code", "points", "event_id"))


def available(external_id: str = "M100") -> int:
    return PointsAccount.objects.get(member__external_id=external_id).available


def registered(shop: Any, event_id: str, data: dict[str, Any]) -> dict[str, Any]:
    raw = {
        "id": event_id,
        "type": "member.registered",
        "member": "M100",
        "occurred_at": clock.now().isoformat(),
        "data": data,
    }
    return event_services.event_ingest(shop=shop, raw=raw).result


def test_creating_a_complete_member_grants_both_and_answers_as_before(api: Any, rules: Any):
    response = api.post(URL, FULL)
    assert response.status_code == 201
    assert response.json() == FULL_OUT  # the answer's shape is unchanged
    assert entries() == [("signup", 100, None), ("profile_completed", 50, None)]
    assert available() == 150
    assert Member.objects.get().profile_completed_at == NOW


def test_completing_the_profile_later_grants_it_once(api: Any, rules: Any):
    # Given a member created with only an id: the sign-up bonus
    assert api.post(URL, {"external_id": "M100"}).status_code == 201
    assert entries() == [("signup", 100, None)]
    # When a later update completes the profile
    clock.advance(dt.timedelta(days=2))
    response = api.post(URL, FULL)
    # Then the profile bonus, once
    assert response.status_code == 200
    assert response.json() == FULL_OUT
    assert entries() == [("signup", 100, None), ("profile_completed", 50, None)]
    assert Member.objects.get().profile_completed_at == NOW + dt.timedelta(days=2)
    # Sent again, emptied and completed again: nothing more
    assert api.post(URL, FULL).status_code == 200
    api.post(URL, {"external_id": "M100", "phone": "", "email": ""})
    api.post(URL, FULL)
    assert len(entries()) == 2
    assert available() == 150
    assert Member.objects.get().profile_completed_at == NOW + dt.timedelta(days=2)


def test_a_replayed_create_grants_nothing_more(api: Any, rules: Any, row_counts: Any):
    first = api.post(URL, FULL, headers={"Idempotency-Key": "k1"})
    before = (row_counts(), entries())
    second = api.post(URL, FULL, headers={"Idempotency-Key": "k1"})
    assert (second.status_code, second.json()) == (201, first.json())
    assert (row_counts(), entries()) == before
    assert available() == 150


def test_api_then_event_grants_sign_up_once(api: Any, shop: Any, rules: Any):
    api.post(URL, {"external_id": "M100", "name": "李娜"})
    result = registered(shop, "reg-1", {"name": "李娜", "channel": "app"})
    assert result["effects"] == [{"type": "member.updated", "member": "M100"}]
    assert entries() == [("signup", 100, None)]
    assert available() == 100


def test_event_then_api_grants_sign_up_once_and_the_api_completes_the_profile(
    api: Any, shop: Any, rules: Any
):
    result = registered(shop, "reg-1", {"name": "李娜"})
    assert [(e["type"], e.get("points")) for e in result["effects"]] == [
        ("member.created", None),
        ("points.earned", 100),
    ]
    assert api.post(URL, FULL).status_code == 200
    event_pk = LedgerEntry.objects.get(reason_code="signup").event_id
    assert event_pk is not None
    assert entries() == [("signup", 100, event_pk), ("profile_completed", 50, None)]
    assert available() == 150


def test_a_complete_member_without_rules_gets_nothing(api: Any):
    response = api.post(URL, FULL)
    assert response.status_code == 201
    assert response.json() == FULL_OUT
    assert not PointsAccount.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert Member.objects.get().profile_completed_at == NOW


def test_an_update_that_completes_nothing_changes_no_points(api: Any, rules: Any, row_counts: Any):
    api.post(URL, {"external_id": "M100", "name": "李娜"})
    before = (row_counts(), entries(), available())
    response = api.post(URL, {"external_id": "M100", "language": "en"})
    assert response.status_code == 200
    assert (row_counts(), entries(), available()) == before
    assert Member.objects.get().profile_completed_at is None


# --- the admin ---------------------------------------------------------------

ADMIN_FORM = {
    "external_id": "A1",
    "name": "",
    "phone": "",
    "email": "",
    "birthday": "",
    "gender": "",
    "registered_at_0": "2026-11-11",
    "registered_at_1": "10:00:00",
    "registration_channel": "store",
    "language": "zh-hans",
    "consent_in_app": "on",
}


def test_the_admin_grants_sign_up_on_create_and_profile_on_completion(shop: Any, rules: Any):
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="x"))
    form = {**ADMIN_FORM, "shop": str(shop.pk)}
    assert client.post("/admin/members/member/add/", form).status_code == 302
    member = Member.objects.get(external_id="A1")
    assert entries() == [("signup", 100, None)]
    complete = {
        **form,
        "name": "王芳",
        "phone": "13900000001",
        "email": "wf@example.com",
        "birthday": "1988-08-08",
        "gender": "female",
    }
    url = f"/admin/members/member/{member.pk}/change/"
    assert client.post(url, complete).status_code == 302
    assert client.post(url, form).status_code == 302  # emptied
    assert client.post(url, complete).status_code == 302  # and completed again
    assert entries() == [("signup", 100, None), ("profile_completed", 50, None)]
    assert available("A1") == 150
    member.refresh_from_db()
    assert member.profile_completed_at == NOW


def test_the_migration_marks_profiles_complete_before_it_as_done(shop: Any):
    from django.apps import apps

    migration = importlib.import_module(
        "patron.members.migrations.0002_member_profile_completed_at"
    )
    earlier = NOW - dt.timedelta(days=30)
    done = MemberFactory.create(
        shop=shop, birthday=dt.date(1990, 1, 1), gender="other", updated_at=earlier
    )
    no_gender = MemberFactory.create(shop=shop, birthday=dt.date(1990, 1, 1))
    no_birthday = MemberFactory.create(shop=shop, gender="female")
    migration.backfill(apps, None)
    migration.backfill(apps, None)  # and again: nothing changes
    stamps = dict(Member.objects.values_list("pk", "profile_completed_at"))
    assert stamps == {done.pk: earlier, no_gender.pk: None, no_birthday.pk: None}
