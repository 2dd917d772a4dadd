"""SLA due times on real tickets, with exact timestamps: business hours,
lunch breaks, holidays, 调休, pauses, first matching policy, tier changes,
warnings and breaches recorded at the moment they happened."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from patron.core import clock, roles
from patron.core.models import Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.members.models import Member
from patron.service.calendar import OFFICE_WINDOWS
from patron.service.models import (
    AgentProfile,
    BusinessCalendar,
    CalendarDay,
    SlaBreach,
    SlaPolicy,
    SlaWarning,
    Team,
    TeamMembership,
    Ticket,
    TicketSla,
)
from patron.service.services import (
    agent_reply,
    member_writes,
    sla_policies_default,
    sla_scan,
    ticket_open,
    ticket_status_set,
)
from patron.tiers.listeners import tier_changes_announce
from patron.tiers.models import MemberTier, Tier
from patron.tiers.services import overrides
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NOON = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def at(day: int, hh: int, mm: int = 0) -> dt.datetime:
    """December 2026 in Shanghai time (the 3rd is a Thursday)."""
    return dt.datetime(2026, 12, day, hh, mm, tzinfo=SH)


@pytest.fixture
def office(shop: Shop) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        shop=shop, name="office", windows=OFFICE_WINDOWS, updated_at=NOON
    )


def policy(shop: Shop, position: int, first: int, nxt: int, res: int, **kw: Any) -> SlaPolicy:
    return SlaPolicy.objects.create(
        shop=shop,
        name=f"p{position}",
        position=position,
        first_response_minutes=first,
        next_response_minutes=nxt,
        resolution_minutes=res,
        **kw,
    )


@pytest.fixture
def standard(shop: Shop, office: BusinessCalendar) -> SlaPolicy:
    return policy(shop, 100, 60, 30, 240)


def open_at(when: dt.datetime, shop: Shop, member: Member, **kw: Any) -> Ticket:
    clock.freeze(when)
    return ticket_open(
        shop=shop, channel="chat", subject="where", body="my parcel", member=member, **kw
    )


def sla(ticket: Ticket) -> TicketSla:
    return TicketSla.objects.get(ticket=ticket)


def test_due_times_across_the_lunch_break(shop: Shop, member: Member, standard: SlaPolicy) -> None:
    s = sla(open_at(at(3, 11, 30), shop, member))
    assert s.policy == standard
    assert s.first_response_due_at == at(3, 14, 0)
    assert s.first_response_warn_at == at(3, 13, 48)  # 80 % of 60 minutes
    assert s.resolution_due_at == at(3, 17, 0)
    assert s.next_response_due_at is None


def test_opened_out_of_hours_counts_from_the_next_morning(
    shop: Shop, member: Member, standard: SlaPolicy
) -> None:
    s = sla(open_at(at(4, 20), shop, member))  # Friday evening
    assert s.first_response_due_at == at(7, 10, 0)  # Monday


def test_holiday_and_adjusted_working_saturday(
    shop: Shop, member: Member, standard: SlaPolicy, office: BusinessCalendar
) -> None:
    CalendarDay.objects.create(calendar=office, date=dt.date(2026, 12, 4), kind="holiday")
    CalendarDay.objects.create(
        calendar=office, date=dt.date(2026, 12, 5), kind="workday", works_as=0
    )
    s = sla(open_at(at(3, 17, 30), shop, member))
    # 30 minutes on Thursday, Friday is off, Saturday works like a Monday.
    assert s.first_response_due_at == at(5, 9, 30)


def test_team_calendar_overrides_the_shop_default(
    shop: Shop, member: Member, standard: SlaPolicy
) -> None:
    team = Team.objects.create(shop=shop, code="night", name="night", created_at=NOON)
    BusinessCalendar.objects.create(
        shop=shop, team=team, name="night", windows={"3": [["20:00", "23:00"]]}, updated_at=NOON
    )
    clock.freeze(at(3, 20))
    ticket = Ticket.objects.create(
        shop=shop,
        number=99,
        member=member,
        channel="chat",
        subject="s",
        team=team,
        created_at=at(3, 20),
        updated_at=at(3, 20),
        status_changed_at=at(3, 20),
    )
    from patron.service.services import sla_update

    assert sla_update(ticket).first_response_due_at == at(3, 21)


def test_first_matching_policy_wins(shop: Shop, member: Member, office: BusinessCalendar) -> None:
    tiers_seed_defaults(shop=shop)
    gold = Tier.objects.get(shop=shop, code="gold")
    MemberTier.objects.create(member=member, shop=shop, tier=gold, since=NOON, updated_at=NOON)
    policy(shop, 5, 5, 5, 5, channel="email")  # does not match a chat
    chosen = policy(shop, 10, 15, 30, 120, tier=gold)
    policy(shop, 20, 1, 1, 1, tier=gold)  # matches too, but comes later
    policy(shop, 100, 60, 30, 240)
    s = sla(open_at(at(3, 10), shop, member))
    assert s.policy == chosen
    assert s.first_response_due_at == at(3, 10, 15)
    other = Member.objects.create(
        shop=shop,
        external_id="m2",
        name="韩梅梅",
        registered_at=NOON,
        created_at=NOON,
        updated_at=NOON,
    )
    assert sla(open_at(at(3, 10), shop, other)).first_response_due_at == at(3, 11)


def test_pending_pauses_and_due_times_shift(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    assert sla(ticket).resolution_due_at == at(3, 15, 30)
    clock.freeze(at(3, 11))
    agent_reply(ticket=ticket, agent=agent, body="send a photo?", status="pending")
    s = sla(ticket)
    assert s.paused_since == at(3, 11)
    assert s.first_response_breached_at is None
    clock.freeze(at(4, 10))
    member_writes(ticket=ticket, body="here it is")
    s = sla(ticket)
    # Paused Thu 11:00-12:00, 13:30-18:00 and Fri 09:00-10:00: 390 minutes.
    assert (s.paused_since, s.paused_seconds) == (None, 390 * 60)
    assert s.resolution_due_at == at(4, 14, 30)
    assert s.next_response_due_at == at(4, 10, 30)
    clock.freeze(at(4, 10, 20))
    agent_reply(ticket=ticket, agent=agent, body="thanks")
    s = sla(ticket)
    assert s.next_response_due_at is None
    assert not SlaBreach.objects.exists()


def test_on_hold_pauses_too_and_paused_tickets_are_not_breached(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    clock.freeze(at(3, 10, 30))
    ticket_status_set(ticket=ticket, status="on_hold", agent=agent)
    assert sla_scan(now=at(7, 10)) == {"warnings": 0, "breaches": 0}
    clock.freeze(at(7, 9))  # Monday: paused Thu 10:30-12:00 and 13:30-18:00, Fri all day
    ticket_status_set(ticket=ticket, status="open", agent=agent)
    s = sla(ticket)
    assert s.paused_seconds == (90 + 270 + 450) * 60
    assert s.first_response_due_at == at(7, 9, 30)


def test_breach_is_recorded_at_the_moment_it_happened(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    team = Team.objects.create(shop=shop, code="vip", name="VIP", created_at=NOON)
    lead = AgentProfile.objects.create(
        shop=shop, user=User.objects.create_user("lead1"), display_name="lead", created_at=NOON
    )
    TeamMembership.objects.create(team=team, agent=lead, role="lead")
    TeamMembership.objects.create(team=team, agent=agent, role="agent")
    ticket = open_at(at(3, 10), shop, member)
    Ticket.objects.filter(pk=ticket.pk).update(team=team, assignee=agent)
    assert sla_scan(now=at(3, 10, 47)) == {"warnings": 0, "breaches": 0}
    assert sla_scan(now=at(3, 10, 48)) == {"warnings": 2, "breaches": 0}
    assert set(SlaWarning.objects.values_list("agent_id", "target", "due_at")) == {
        (agent.pk, "first_response", at(3, 11)),
        (lead.pk, "first_response", at(3, 11)),
    }
    assert sla_scan(now=at(3, 10, 50)) == {"warnings": 0, "breaches": 0}
    assert sla_scan(now=at(3, 11, 5)) == {"warnings": 0, "breaches": 1}
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.due_at, breach.breached_at, breach.recorded_at) == (
        "first_response",
        at(3, 11),
        at(3, 11),
        at(3, 11, 5),
    )
    assert sla_scan(now=at(3, 11, 30)) == {"warnings": 0, "breaches": 0}
    clock.freeze(at(3, 11, 40))
    agent_reply(ticket=ticket, agent=agent, body="sorry for the wait")
    assert SlaBreach.objects.count() == 1


def test_late_reply_records_the_breach_without_the_job(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    clock.freeze(at(3, 11, 20))
    agent_reply(ticket=ticket, agent=agent, body="late")
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.breached_at, breach.recorded_at) == (
        "first_response",
        at(3, 11),
        at(3, 11, 20),
    )


def test_next_response_breach(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    clock.freeze(at(3, 10, 5))
    agent_reply(ticket=ticket, agent=agent, body="hi")
    clock.freeze(at(3, 11, 50))
    member_writes(ticket=ticket, body="and?")
    assert sla(ticket).next_response_due_at == at(3, 13, 50)  # 10 before lunch, 20 after
    assert sla_scan(now=at(3, 14)) == {"warnings": 0, "breaches": 1}
    assert SlaBreach.objects.get().breached_at == at(3, 13, 50)


def test_solving_late_breaches_resolution(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    clock.freeze(at(3, 10, 5))
    agent_reply(ticket=ticket, agent=agent, body="hi")
    clock.freeze(at(3, 16))
    ticket_status_set(ticket=ticket, status="solved", agent=agent)
    breach = SlaBreach.objects.get()
    assert (breach.target, breach.breached_at) == ("resolution", at(3, 15, 30))


def test_tier_change_updates_open_tickets(
    shop: Shop, member: Member, agent: AgentProfile, office: BusinessCalendar
) -> None:
    tiers_seed_defaults(shop=shop)
    sla_policies_default(shop=shop)
    ticket = open_at(at(3, 10), shop, member)
    assert sla(ticket).first_response_due_at == at(3, 15, 30)  # standard: 4 hours
    roles_sync()
    alice = make_operator("alice", roles.ADMIN, shop, is_staff=True)
    bob = make_operator("bob", roles.ADMIN, shop, is_staff=True)
    clock.freeze(at(3, 10, 10))
    diamond = Tier.objects.get(shop=shop, code="diamond")
    request = overrides.override_request(member=member, tier=diamond, reason="VIP", actor=alice)
    overrides.override_approve(override=request, actor=bob)
    s = sla(ticket)
    assert s.policy is not None and s.policy.tier == diamond
    assert s.first_response_due_at == at(3, 10, 15)  # diamond: 15 minutes from opening


def test_tier_listener_leaves_done_tickets(
    shop: Shop, member: Member, agent: AgentProfile, standard: SlaPolicy
) -> None:
    ticket = open_at(at(3, 10), shop, member)
    clock.freeze(at(3, 10, 5))
    agent_reply(ticket=ticket, agent=agent, body="done", status="solved")
    standard.first_response_minutes = 1
    standard.save()
    tier_changes_announce(shop.pk, [member.pk])
    assert sla(ticket).first_response_due_at == at(3, 11)


def test_default_policies_put_diamond_and_gold_first(shop: Shop) -> None:
    tiers_seed_defaults(shop=shop)
    made = sla_policies_default(shop=shop)
    assert [(p.tier.code if p.tier else "", p.first_response_minutes) for p in made] == [
        ("diamond", 15),
        ("gold", 30),
        ("", 30),
        ("", 240),
    ]
    assert sla_policies_default(shop=shop) == made
    assert SlaPolicy.objects.count() == 4


def test_without_policy_no_due_times(shop: Shop, member: Member) -> None:
    s = sla(open_at(at(3, 10), shop, member))
    assert s.policy is None and s.first_response_due_at is None
