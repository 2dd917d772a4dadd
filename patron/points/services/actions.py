"""Earning on actions, at once: rule-driven actions (check-ins, reviews, custom
events), sign-up and profile milestones, daily check-ins and birthday grants.
Caps and rule effects are the order earning's (``earn``).

Every function here runs inside the caller's transaction (or its own) and
locks the member's account before reading caps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from patron.core import clock
from patron.core.errors import ErrorCode, PatronError
from patron.events.models import Event
from patron.members.models import Member
from patron.points import earning_rules
from patron.points.models import (
    CheckIn,
    EntryKind,
    LedgerEntry,
    PointsAccount,
)
from patron.points.services.earn import cap_room, rule_effect
from patron.points.services.ledger import (
    Refs,
    account_lock,
    do_credit,
    lot_expiry,
    points_program_get,
)
from patron.rules import cel
from patron.rules.models import Trigger
from patron.rules.selectors import versions_in_force


def action_earn(
    *,
    member: Member,
    trigger: str,
    data: dict[str, Any],
    at: dt.datetime,
    event: Event | None = None,
    once_key: str | None = None,
    streak: int | None = None,
    reason_code: str = "action_earn",
    account: PointsAccount | None = None,
) -> list[dict[str, Any]]:
    """Credit what each rule for ``trigger`` gives this action, within its caps.

    ``once_key`` makes the credit happen at most once per member and rule
    (sign-up, a review id, a birthday year).
    """
    versions = versions_in_force(shop=member.shop, trigger=trigger, at=at)
    if not versions:
        return []
    activation = {
        "event": {"type": trigger, "data": data},
        "member": earning_rules.member_activation(member),
    }
    account = account or account_lock(member=member)
    program = points_program_get(member.shop)
    effects: list[dict[str, Any]] = []
    for v in versions:
        if not cel.evaluate(v.pk, v.condition, activation):
            continue
        points, why = earning_rules.action_points(version=v, data=data, streak=streak)
        if points <= 0:
            continue
        key = f"{once_key}:{v.rule_id}" if once_key else None
        if key and LedgerEntry.objects.filter(account=account, idempotency_key=key).exists():
            effects.append({"type": "points.already_earned", **rule_effect(v, 0)})
            continue
        room = cap_room(account, v, at)
        capped_from = None
        if room is not None and room < points:
            capped_from, points = points, room
        if points <= 0:
            effects.append({"type": "points.capped", **rule_effect(v, 0)})
            continue
        params: dict[str, Any] = {"rule": v.rule.name, "trigger": trigger, **why}
        if capped_from is not None:
            params["capped_from"] = capped_from
        entry, _lot = do_credit(
            account,
            points=points,
            kind=EntryKind.EARN,
            # Earned, and available, when the action happened.
            expires_at=lot_expiry(program, earned_at=at, available_at=at),
            earned_at=at,
            refs=Refs(
                reason_code=reason_code,
                reason_params=params,
                rule_id=v.rule_id,
                rule_version_id=v.pk,
                event_id=event.pk if event else None,
                idempotency_key=key,
            ),
        )
        effects.append(
            {
                "type": "points.earned",
                "state": "available",
                "entry_id": entry.pk,
                **rule_effect(v, points),
                **({"capped_from": capped_from} if capped_from is not None else {}),
            }
        )
    return effects


def member_milestones_earn(
    *, member: Member, signed_up: bool, profile_completed: bool, event: Event | None = None
) -> list[dict[str, Any]]:
    """Sign-up and profile-completed points, for the moment the member was
    created or their profile first became complete (``members.services``
    decides that moment and calls this in its transaction). The once keys keep
    each rule's bonus to one per member even so.

    Rules are in force at the event's time when an event caused it, else now;
    their conditions see the event's data, or none.
    """
    at = event.occurred_at if event is not None else clock.now()
    data = dict(event.payload.get("data") or {}) if event is not None else {}
    effects: list[dict[str, Any]] = []
    for happened, trigger, once_key, reason_code in (
        (signed_up, Trigger.MEMBER_REGISTERED, "signup", "signup"),
        (profile_completed, Trigger.PROFILE_COMPLETED, "profile", "profile_completed"),
    ):
        if happened:
            effects += action_earn(
                member=member,
                trigger=trigger,
                data=data,
                at=at,
                event=event,
                once_key=once_key,
                reason_code=reason_code,
            )
    return effects


def checkin_record(*, member: Member) -> dict[str, Any]:
    """Today's check-in: at most once a day; the streak counts consecutive days."""
    now = clock.now()
    today = timezone.localtime(now).date()
    with transaction.atomic():
        account = account_lock(member=member)  # serialises a member's check-ins
        if CheckIn.objects.filter(member=member, day=today).exists():
            raise PatronError(
                ErrorCode.LIMIT_REACHED, _("already checked in today"), field="member"
            )
        yesterday = (
            CheckIn.objects.filter(member=member, day=today - dt.timedelta(days=1))
            .values_list("streak", flat=True)
            .first()
        )
        streak = (yesterday or 0) + 1
        effects = action_earn(
            member=member,
            trigger=Trigger.CHECKIN,
            data={"day": today.isoformat(), "streak": streak},
            at=now,
            once_key=f"checkin:{today.isoformat()}",
            streak=streak,
            reason_code="checkin",
            account=account,
        )
        points = sum(e["points"] for e in effects if e["type"] == "points.earned")
        CheckIn.objects.create(
            member=member, day=today, streak=streak, points=points, created_at=now
        )
    return {
        "day": today.isoformat(),
        "streak": streak,
        "points": points,
        "available": account.available,
        "effects": effects,
    }


def birthday_members(day: dt.date) -> Any:
    q = Q(birthday__month=day.month, birthday__day=day.day)
    if day.month == 2 and day.day == 28:
        # Members born on 29 February celebrate on the 28th in common years.
        try:
            dt.date(day.year, 2, 29)
        except ValueError:
            q |= Q(birthday__month=2, birthday__day=29)
    return Member.objects.filter(q)


def birthday_grant_due(*, day: dt.date | None = None) -> int:
    """Grant birthday points to every member whose birthday is ``day`` (once a year).

    Only shops with a birthday rule are visited; one transaction per member
    keeps a failure local and the job re-runnable (the once-a-year key).
    """
    from patron.rules.models import EarningRule

    day = day or clock.today()
    shops = set(
        EarningRule.objects.filter(trigger=Trigger.BIRTHDAY, is_active=True).values_list(
            "shop_id", flat=True
        )
    )
    granted = 0
    now = clock.now()
    for member in birthday_members(day).filter(shop_id__in=shops).select_related("shop"):
        with transaction.atomic():
            effects = action_earn(
                member=member,
                trigger=Trigger.BIRTHDAY,
                data={"day": day.isoformat()},
                at=now,
                once_key=f"birthday:{day.year}",
                reason_code="birthday",
            )
        granted += sum(1 for e in effects if e["type"] == "points.earned")
    return granted
