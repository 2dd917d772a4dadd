"""The shop edits its calendars and policies in the admin: bad hours are form
errors naming the field (nothing saved), a saved edit moves open tickets'
due times at once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.service.calendar import OFFICE_WINDOWS
from patron.service.models import BusinessCalendar, CalendarDay, SlaPolicy, TicketSla
from patron.service.services import ticket_open

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
ADD = "/admin/service/businesscalendar/add/"
INLINE = {
    "days-TOTAL_FORMS": "1",
    "days-INITIAL_FORMS": "0",
    "days-MIN_NUM_FORMS": "0",
    "days-MAX_NUM_FORMS": "1000",
}


def _admin() -> Client:
    client = Client(raise_request_exception=False)
    client.cookies["django_language"] = "en"
    client.force_login(User.objects.create_superuser("root", password="x"))
    return client


def _form(shop: Shop, **over: str) -> dict[str, str]:
    data = {
        "shop": str(shop.pk),
        "name": "office",
        "time_zone": "Asia/Shanghai",
        "windows": json.dumps(OFFICE_WINDOWS),
        **INLINE,
        "days-0-date": "",
        "days-0-kind": "",
        "days-0-works_as": "",
        "days-0-note": "",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", "unknown time zone"),
        ({"windows": json.dumps({"1": [["10:00", "09:00"]]})}, "windows", "ends before"),
        ({"windows": json.dumps({"9": [["09:00", "10:00"]]})}, "windows", "not 0-6"),
        (
            {"days-0-date": "2026-12-05", "days-0-kind": "workday"},
            "works_as",
            "works as one weekday",
        ),
    ],
)
def test_bad_calendar_is_a_form_error(
    shop: Shop, over: dict[str, str], field: str, words: str
) -> None:
    response = _admin().post(ADD, _form(shop, **over))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert field in response.content.decode()
    assert not BusinessCalendar.objects.exists()
    assert not CalendarDay.objects.exists()


def test_saving_a_calendar_moves_open_tickets(shop: Shop, member: Member) -> None:
    BusinessCalendar.objects.create(
        shop=shop,
        name="old",
        windows={str(d): [["00:00", "23:59"]] for d in range(7)},
        updated_at=clock.now(),
    )
    SlaPolicy.objects.create(
        shop=shop,
        name="std",
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=240,
    )
    clock.freeze(dt.datetime(2026, 12, 3, 20, 0, tzinfo=SH))  # Thursday evening
    ticket = ticket_open(shop=shop, channel="chat", subject="s", body="b", member=member)
    assert TicketSla.objects.get(ticket=ticket).first_response_due_at == dt.datetime(
        2026, 12, 3, 21, 0, tzinfo=SH
    )
    calendar = BusinessCalendar.objects.get()
    response = _admin().post(
        f"/admin/service/businesscalendar/{calendar.pk}/change/",
        _form(shop, **{"days-0-date": "2026-12-04", "days-0-kind": "holiday"}),
    )
    body = response.content.decode()
    at = body.find("errorlist")
    assert response.status_code == 302, body[at - 300 : at + 300]
    # Office hours now, Friday off: Monday 10:00.
    assert TicketSla.objects.get(ticket=ticket).first_response_due_at == dt.datetime(
        2026, 12, 7, 10, 0, tzinfo=SH
    )


def test_calendar_admin_speaks_chinese(shop: Shop) -> None:
    client = _admin()
    client.cookies["django_language"] = "zh-hans"
    page = client.get(ADD).content.decode()
    assert "工作日历" in page and "调休上班日" in page


@pytest.mark.parametrize("role", ["service_agent", "service_lead", "analyst"])
def test_desk_roles_read_but_do_not_edit_sla_settings(shop: Shop, staff_as: Any, role: str) -> None:
    client = staff_as(role)
    calendar = BusinessCalendar.objects.create(
        shop=shop, name="office", windows=OFFICE_WINDOWS, updated_at=clock.now()
    )
    assert client.get("/admin/service/slapolicy/").status_code == 200
    assert client.get(f"/admin/service/businesscalendar/{calendar.pk}/change/").status_code == 200
    assert client.get(ADD).status_code == 403
    response = client.post(
        f"/admin/service/businesscalendar/{calendar.pk}/change/",
        _form(shop, name="changed"),
    )
    assert response.status_code == 403
    calendar.refresh_from_db()
    assert calendar.name == "office"


def test_admin_role_edits_sla_settings(shop: Shop, staff_as: Any) -> None:
    client = staff_as("admin")
    assert client.get(ADD).status_code == 200
    assert client.get("/admin/service/slapolicy/add/").status_code == 200
