"""A date-time whose offset no time zone has (Python takes any under 24 hours,
PostgreSQL refuses those past 15:59) is refused with a 422 naming the field,
not stored or turned into a server error. Found by the OpenAPI fuzzing."""

from __future__ import annotations

from typing import Any

import pytest

from patron.core import clock
from patron.events.models import Event
from patron.members.models import Member

pytestmark = pytest.mark.django_db


def _event(occurred_at: str) -> dict[str, Any]:
    return {
        "id": "e1",
        "type": "link.shared",
        "member": "M1",
        "occurred_at": occurred_at,
        "data": {},
    }


@pytest.mark.parametrize("offset", ["+18:49", "-16:00", "+14:01"])
def test_event_with_an_offset_no_zone_has_is_refused(api: Any, shop: Any, offset: str) -> None:
    now = clock.now()
    Member.objects.create(
        shop=shop, external_id="M1", registered_at=now, created_at=now, updated_at=now
    )
    response = api.post("/api/v1/events", _event(f"2020-10-18T01:43:41{offset}"))

    assert response.status_code == 422, response.content
    assert response.json()["field"] == "occurred_at"
    assert not Event.objects.exists()
    batch = api.post("/api/v1/events/batch", {"events": [_event(f"2020-10-18T01:43:41{offset}")]})
    assert batch.status_code == 200
    assert batch.json()["results"][0]["status"] == "rejected"


def test_the_furthest_real_offsets_are_accepted(api: Any, shop: Any) -> None:
    for external_id, registered_at in (
        ("M1", "2020-01-01T00:00:00+14:00"),
        ("M2", "2020-01-01T00:00:00-12:00"),
    ):
        response = api.post(
            "/api/v1/members", {"external_id": external_id, "registered_at": registered_at}
        )
        assert response.status_code == 201, response.content


def test_member_registered_at_with_an_impossible_offset_is_refused(api: Any, shop: Any) -> None:
    response = api.post(
        "/api/v1/members", {"external_id": "M1", "registered_at": "2020-01-01T00:00:00+20:00"}
    )
    assert response.status_code == 422
    assert response.json()["field"] == "registered_at"
    assert not Member.objects.exists()
