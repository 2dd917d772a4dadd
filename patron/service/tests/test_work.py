"""Working a ticket: topic, priority and tags; taking, releasing and a
lead's reassignment; merging two tickets."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop
from patron.members.models import Member
from patron.service import selectors, services
from patron.service.models import EntryKind, Ticket, TicketEntry
from patron.service.tests.conftest import NOON
from patron.service.tests.desk_helpers import agent, team, ticket

pytestmark = pytest.mark.django_db


def test_topic_priority_and_tags_are_set_and_leave_an_action(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)

    services.ticket_fields_set(
        ticket=t, agent=wang, topic="logistics", priority="high", tags=[" VIP ", "late", "vip"]
    )

    t.refresh_from_db()
    assert (t.topic, t.priority, t.tags) == ("logistics", "high", ["vip", "late"])
    action = TicketEntry.objects.get(ticket=t, kind=EntryKind.ACTION)
    assert action.data == {
        "action": "fields",
        "before": {"topic": "other", "priority": "normal", "tags": []},
        "after": {"topic": "logistics", "priority": "high", "tags": ["vip", "late"]},
    }
    assert AuditLog.objects.filter(action="service.ticket_fields").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic": "weather"}, "topic"),
        ({"priority": "asap"}, "priority"),
        ({"tags": ["ok", "two words"]}, "tags[1]"),
        ({"tags": ["x" * 41]}, "tags[0]"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"tags": "vip"}, "tags"),
    ],
)
def test_a_bad_field_is_named_and_nothing_changes(
    shop: Shop, member: Member, change: dict[str, object], field: str
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    with pytest.raises(PatronError) as refused:
        services.ticket_fields_set(ticket=t, agent=wang, **{"topic": "complaint", **change})  # type: ignore[arg-type]
    assert refused.value.field == field
    t.refresh_from_db()
    assert (t.topic, t.tags) == ("other", [])
    assert not TicketEntry.objects.filter(kind=EntryKind.ACTION).exists()


def test_an_agent_of_another_team_cannot_touch_the_ticket(shop: Shop, member: Member) -> None:
    pre, post = team(shop, "pre"), team(shop, "post")
    outsider = agent(shop, "li", post)
    t = ticket(shop, member, pre)
    with pytest.raises(PatronError) as refused:
        services.ticket_fields_set(ticket=t, agent=outsider, priority="urgent")
    assert (refused.value.code, refused.value.field) == ("forbidden", "ticket")
    with pytest.raises(PatronError):
        services.ticket_assign(ticket=t, agent=outsider, assignee=outsider)
    t.refresh_from_db()
    assert (t.priority, t.assignee_id) == ("normal", None)


def test_an_agent_takes_and_releases_a_ticket_of_their_team(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)

    services.ticket_assign(ticket=t, agent=wang, assignee=wang)
    t.refresh_from_db()
    wang.refresh_from_db()
    assert (t.assignee_id, wang.last_assigned_at) == (wang.pk, NOON)

    services.ticket_assign(ticket=t, agent=wang, assignee=None)
    t.refresh_from_db()
    assert t.assignee_id is None
    actions = [e.data for e in TicketEntry.objects.filter(ticket=t, kind=EntryKind.ACTION)]
    assert [a["after"]["assignee"] for a in actions] == [wang.pk, None]
    assert AuditLog.objects.filter(action="service.ticket_assign").count() == 2


def test_an_agent_cannot_give_a_ticket_to_a_colleague(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang, li = agent(shop, "wang", pre), agent(shop, "li", pre)
    t = ticket(shop, member, pre)
    with pytest.raises(PatronError) as refused:
        services.ticket_assign(ticket=t, agent=wang, assignee=li)
    assert (refused.value.code, refused.value.field) == ("forbidden", "assignee")
    t.refresh_from_db()
    assert t.assignee_id is None


def test_a_lead_reassigns_within_the_teams_they_lead(shop: Shop, member: Member) -> None:
    pre, vip, post = team(shop, "pre"), team(shop, "vip"), team(shop, "post")
    lead = agent(shop, "boss", pre, role="lead")
    from patron.service.models import TeamMembership

    TeamMembership.objects.create(team=vip, agent=lead, role="lead")
    wang, zhao = agent(shop, "wang", pre), agent(shop, "zhao", vip)
    stranger = agent(shop, "qian", post)
    t = ticket(shop, member, pre)

    services.ticket_assign(ticket=t, agent=lead, assignee=wang)
    t.refresh_from_db()
    assert (t.team_id, t.assignee_id) == (pre.pk, wang.pk)

    # into another team the lead leads, to its agent
    services.ticket_assign(ticket=t, agent=lead, assignee=zhao, team=vip)
    t.refresh_from_db()
    assert (t.team_id, t.assignee_id) == (vip.pk, zhao.pk)

    # not to an agent outside the ticket's team, not into a team they do not lead
    with pytest.raises(PatronError) as refused:
        services.ticket_assign(ticket=t, agent=lead, assignee=stranger)
    assert refused.value.field == "assignee"
    with pytest.raises(PatronError) as refused:
        services.ticket_assign(ticket=t, agent=lead, assignee=stranger, team=post)
    assert (refused.value.code, refused.value.field) == ("forbidden", "team")
    t.refresh_from_db()
    assert (t.team_id, t.assignee_id) == (vip.pk, zhao.pk)


def test_merge_moves_the_timeline_closes_the_source_and_follows_it(
    shop: Shop, member: Member
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    target = ticket(shop, member, pre, "where is my parcel")
    clock.freeze(NOON + dt.timedelta(minutes=5))
    source = ticket(shop, member, pre, "parcel again")
    source.tags = ["late"]
    source.save()
    clock.freeze(NOON + dt.timedelta(minutes=10))
    services.member_writes(ticket=target, body="any news?")
    clock.freeze(NOON + dt.timedelta(minutes=20))

    services.ticket_merge(source=source, target=target, agent=wang)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.merged_into_id, source.closed_at) == (
        "closed",
        target.pk,
        NOON + dt.timedelta(minutes=20),
    )
    assert target.tags == ["late"]
    lines = [(e.kind, e.body, e.created_at.minute) for e in selectors.ticket_timeline(target)]
    assert lines[:3] == [
        ("member", "hello", 0),
        ("member", "hello", 5),
        ("member", "any news?", 10),
    ]
    assert lines[3][0] == "action"
    assert selectors.ticket_timeline(target)[3].data == {
        "action": "merged",
        "from": source.number,
        "entries": 1,
    }
    # the member writing to the source lands on the target
    landed = services.member_writes(ticket=source, body="hello?")
    assert landed.pk == target.pk
    assert target.entries.filter(body="hello?").count() == 1
    assert AuditLog.objects.filter(action="service.ticket_merge").count() == 1


@pytest.mark.parametrize("case", ["itself", "closed", "other_member", "other_team"])
def test_merge_refusals_name_the_field_and_change_nothing(
    shop: Shop, member: Member, case: str
) -> None:
    pre, post = team(shop, "pre"), team(shop, "post")
    wang = agent(shop, "wang", pre)
    target = ticket(shop, member, pre)
    source = ticket(shop, member, pre)
    field = "target"
    if case == "itself":
        source = target
    elif case == "closed":
        services.ticket_status_set(ticket=source, status="closed", agent=wang)
        field = "source"
    elif case == "other_member":
        other = Member.objects.create(
            shop=shop,
            external_id="m2",
            name="韩梅梅",
            registered_at=NOON,
            created_at=NOON,
            updated_at=NOON,
        )
        target = ticket(shop, other, pre)
    elif case == "other_team":
        target = ticket(shop, member, post)
        field = "ticket"
    entries = TicketEntry.objects.count()
    with pytest.raises(PatronError) as refused:
        services.ticket_merge(source=source, target=target, agent=wang)
    assert refused.value.field == field
    assert TicketEntry.objects.count() == entries
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()
