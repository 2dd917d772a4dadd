"""Macros: the template and actions are checked when saved; applying one is
the rendered reply (or note) and the actions, all or nothing."""

from __future__ import annotations

import pytest

from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import EntryKind, Macro, TicketEntry
from patron.service.tests.desk_helpers import agent, team, ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("body", "actions", "field"),
    [
        ("{{ member.password }}", [], "body"),
        ("{{ request }}", [], "body"),
        ("{% for x in y %}{% endfor %}", [], "body"),
        ("{{ member.name.__class__ }}", [], "body"),
        ("{{ unclosed", [], "body"),
        ("hi", [{"action": "delete_ticket", "value": "x"}], "actions[0].action"),
        ("hi", [{"action": "set_status", "value": "new"}], "actions[0].value"),
        ("hi", [{"action": "set_topic", "value": "weather"}], "actions[0].value"),
        ("hi", [{"action": "add_tag", "value": "two words"}], "actions[0].value"),
        ("", [], "body"),
    ],
)
def test_a_bad_macro_is_refused_naming_the_field(
    shop: Shop, body: str, actions: list[dict[str, str]], field: str
) -> None:
    with pytest.raises(PatronError) as refused:
        services.macro_save(shop=shop, name="m", body=body, actions=actions)
    assert refused.value.field == field
    assert not Macro.objects.exists()


def test_macro_names_are_unique_per_shop(shop: Shop) -> None:
    services.macro_save(shop=shop, name="thanks", body="谢谢")
    with pytest.raises(PatronError) as refused:
        services.macro_save(shop=shop, name="thanks", body="again")
    assert refused.value.field == "name"


def test_applying_a_macro_replies_with_variables_and_runs_its_actions(
    shop: Shop, member: Member
) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre, "快递")
    macro = services.macro_save(
        shop=shop,
        name="shipped",
        body="{{ member.name }}您好，工单{{ ticket.reference }}：已发货。——{{ agent.name }}"
        "{% if member.tier %}（{{ member.tier }}）{% endif %}<b>",
        actions=[
            {"action": "set_topic", "value": "logistics"},
            {"action": "add_tag", "value": "Shipped"},
            {"action": "set_priority", "value": "low"},
            {"action": "set_status", "value": "solved"},
        ],
    )

    entry = services.macro_apply(macro=macro, ticket=t, agent=wang)

    assert entry is not None
    assert (entry.kind, entry.body) == ("reply", f"李雷您好，工单T{t.number}：已发货。——wang<b>")
    t.refresh_from_db()
    assert (t.topic, t.tags, t.priority, t.status) == ("logistics", ["shipped"], "low", "solved")
    assert t.first_response_at is not None


def test_a_note_macro_writes_an_internal_note(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    macro = services.macro_save(
        shop=shop, name="vip", body="check {{ member.external_id }}", public=False
    )
    entry = services.macro_apply(macro=macro, ticket=t, agent=wang)
    assert entry is not None
    assert (entry.kind, entry.body) == ("note", "check m1")
    t.refresh_from_db()
    assert t.first_response_at is None


def test_a_failing_action_takes_the_reply_back_with_it(shop: Shop, member: Member) -> None:
    pre = team(shop, "pre")
    wang = agent(shop, "wang", pre)
    t = ticket(shop, member, pre)
    macro = services.macro_save(
        shop=shop, name="m", body="bye", actions=[{"action": "set_status", "value": "solved"}]
    )
    # an action that cannot run any more (the row edited behind the service's back)
    Macro.objects.filter(pk=macro.pk).update(actions=[{"action": "set_status", "value": "gone"}])
    macro.refresh_from_db()
    with pytest.raises(PatronError) as refused:
        services.macro_apply(macro=macro, ticket=t, agent=wang)
    assert refused.value.field == "status"
    assert not TicketEntry.objects.filter(kind=EntryKind.REPLY).exists()
    t.refresh_from_db()
    assert (t.status, t.first_response_at) == ("new", None)


def test_an_agent_outside_the_team_cannot_apply_a_macro(shop: Shop, member: Member) -> None:
    pre, post = team(shop, "pre"), team(shop, "post")
    li = agent(shop, "li", post)
    t = ticket(shop, member, pre)
    macro = services.macro_save(shop=shop, name="m", body="hi")
    with pytest.raises(PatronError) as refused:
        services.macro_apply(macro=macro, ticket=t, agent=li)
    assert refused.value.code == "forbidden"
    assert not TicketEntry.objects.filter(kind=EntryKind.REPLY).exists()
