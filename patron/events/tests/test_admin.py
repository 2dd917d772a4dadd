"""The Event admin shows payloads with phone numbers and e-mail addresses
masked to operators without the PII permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from patron.core.admin import masked_json
from patron.core.tests.factories import UserFactory
from patron.events.models import Event
from patron.events.tests.factories import event

URL = "/api/v1/events"
PHONE, EMAIL = "+8613812345678", "zhang.wei@example.com"
MASKED_PHONE, MASKED_EMAIL = "+86 138****5678", "z***@example.com"

pytestmark = pytest.mark.django_db


@pytest.fixture
def roles() -> None:
    call_command("sync_roles", verbosity=0)


@pytest.fixture
def registered(api: Any, shop: Any) -> Event:
    body = event(
        "member.registered",
        {"name": "张伟", "phone": PHONE, "email": EMAIL, "consents": {"email": True}},
        member="M1",
    )
    assert api.post(URL, body).status_code == 201
    return Event.objects.get(external_id=body["id"])


@pytest.fixture
def custom(api: Any, shop: Any, registered: Event) -> Event:
    body = event(
        "custom.contact",
        {"contact": {"mobile_phone": PHONE, "Email": EMAIL}, "list": [{"phone": PHONE}]},
        member="M1",
    )
    assert api.post(URL, body).status_code == 201
    return Event.objects.get(external_id=body["id"])


def _page(client: Client, ev: Event) -> str:
    response = client.get(f"/admin/events/event/{ev.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def _client(**kwargs: Any) -> Client:
    client = Client()
    client.force_login(UserFactory.create(**kwargs))
    return client


@pytest.mark.parametrize("role", ["analyst", "marketing"])
def test_roles_without_pii_permission_see_phone_and_email_masked(
    roles: None, registered: Event, custom: Event, role: str
):
    client = _client(username=role, role=role)
    for ev in (registered, custom):
        html = _page(client, ev)
        assert MASKED_PHONE in html
        assert MASKED_EMAIL in html
        assert "13812345678" not in html
        assert EMAIL not in html
    assert "张伟" in _page(client, registered)  # the rest of the payload is shown


def test_admin_role_with_pii_permission_sees_them_in_full(
    roles: None, registered: Event, custom: Event
):
    client = _client(username="boss", role="admin")
    for ev in (registered, custom):
        html = _page(client, ev)
        assert PHONE in html
        assert EMAIL in html


def test_event_reader_granted_the_pii_permission_sees_them_in_full(roles: None, registered: Event):
    user = UserFactory.create(username="analyst-pii", role="analyst")
    user.user_permissions.add(
        Permission.objects.get(codename="view_member_pii", content_type__app_label="members")
    )
    client = Client()
    client.force_login(user)
    html = _page(client, registered)
    assert PHONE in html
    assert EMAIL in html


def test_masked_json_masks_phone_and_email_keys_at_any_depth_and_nothing_else():
    value = {
        "phone": PHONE,
        "data": {"email": EMAIL, "consents": {"email": True}, "name": "张伟", "n": 1},
        "list": [{"contact_phone": "13812345678"}, "13812345678"],
        "empty": {"phone": ""},
    }
    assert masked_json(value) == {
        "phone": MASKED_PHONE,
        "data": {"email": MASKED_EMAIL, "consents": {"email": True}, "name": "张伟", "n": 1},
        "list": [{"contact_phone": "138****5678"}, "13812345678"],
        "empty": {"phone": ""},
    }
    assert value["phone"] == PHONE  # the stored payload is left alone


@pytest.mark.parametrize(
    "query",
    [
        "payload__contains=1",
        "payload__data__phone__startswith=%2B86138",
        "payload__has_key=data",
        "result__effects__0__type=member.created",
        "payload=1",
    ],
)
def test_json_filters_on_payloads_are_refused_not_a_500(
    roles: None, registered: Event, query: str
) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory.create(username="an", role="analyst"))
    response = client.get(f"/admin/events/event/?{query}")
    assert 400 <= response.status_code < 500, response.status_code
    # the plain filters still work
    assert client.get("/admin/events/event/?type=member.registered").status_code == 200


@pytest.mark.parametrize("role", ["analyst", "marketing"])
@pytest.mark.parametrize(
    "lookup",
    [
        {"payload__phone__startswith": "+86138123"},
        {"payload__contact__mobile_phone__startswith": "+86138"},
        {"payload__email__startswith": "zh"},
        {"payload__icontains": "5678"},
        {"result__isnull": "False"},
    ],
)
def test_json_lookups_into_payloads_are_refused_without_pii(
    staff_as: Any, custom: Event, role: str, lookup: dict[str, str]
) -> None:
    # given an operator who sees payload phones as +86 138****5678
    client = staff_as(role)
    assert client.get("/admin/events/event/").status_code == 200
    # when they filter on what the payload hides, the admin refuses (no count)
    assert client.get("/admin/events/event/", lookup).status_code == 400
