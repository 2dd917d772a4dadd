"""Demo SLAs: the shop's office calendar (two windows a day, a lunch break,
New Year's Day off and an example 调休 Saturday) and the default policies
(Diamond and Gold answered faster)."""

from __future__ import annotations

import datetime as dt

from patron.demo.context import DemoContext
from patron.service.calendar import OFFICE_WINDOWS
from patron.service.models import BusinessCalendar, CalendarDay, DayKind
from patron.service.services import sla_policies_default


def step_service_sla(ctx: DemoContext) -> None:
    assert ctx.shop is not None
    calendar, _ = BusinessCalendar.objects.get_or_create(
        shop=ctx.shop,
        team=None,
        defaults={
            "name": "办公时间 office hours",
            "windows": OFFICE_WINDOWS,
            "updated_at": ctx.base,
        },
    )
    year = ctx.base.year + 1
    CalendarDay.objects.get_or_create(
        calendar=calendar,
        date=dt.date(year, 1, 1),
        defaults={"kind": DayKind.HOLIDAY, "note": "元旦 New Year's Day"},
    )
    # An example only: the official 调休 days are published each year and
    # entered by the shop (docs/service.md, "SLAs").
    saturday = dt.date(year, 1, 1) + dt.timedelta(days=(5 - dt.date(year, 1, 1).weekday()) % 7 + 7)
    CalendarDay.objects.get_or_create(
        calendar=calendar,
        date=saturday,
        defaults={"kind": DayKind.WORKDAY, "works_as": 4, "note": "调休 example"},
    )
    ctx.summary["sla_policies"] = len(sla_policies_default(shop=ctx.shop))
