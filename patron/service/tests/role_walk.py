"""The desk every role walk runs on (the shop API's in
``patron/tests/test_service_api_role_walk.py``, the console's in
``console/tests/test_service_role_walk.py``): the roles of the brief as
signed-in operators, two teams, a ticket of team A, a delivered order with a
return request on that ticket, a paid order with a change request."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User

from patron.core import services as core_services
from patron.core.models import OperatorMembership, Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import (
    AgentProfile,
    OrderChangeRequest,
    ReturnRequest,
    TeamMembership,
    Ticket,
)
from patron.service.tests.conftest import NOON
from patron.service.tests.desk_helpers import team
from patron.service.tests.returns_helpers import delivered_order, paid_order

#: Who walks: the signed-in operators. ``agent``: an agent of the ticket's
#: team; ``other_agent``: an agent of another team; ``lead``: the lead of the
#: ticket's team; ``analyst``: reads every team's, writes nothing;
#: ``no_service``: an operator without a service role (marketing).
ROLES = ("agent", "other_agent", "lead", "analyst", "no_service")
_OPERATOR_ROLE = {
    "agent": "service_agent",
    "other_agent": "service_agent",
    "lead": "service_lead",
    "analyst": "analyst",
    "no_service": "marketing",
}


@dataclass
class Desk:
    shop: Shop
    member: Member
    users: dict[str, User]
    agents: dict[str, AgentProfile]
    ticket: Ticket
    returned: ReturnRequest
    change: OrderChangeRequest


def desk_build(shop: Shop, member: Member) -> Desk:
    core_services.roles_sync()
    team_a, team_b = team(shop, "a"), team(shop, "b")
    users: dict[str, User] = {}
    agents: dict[str, AgentProfile] = {}
    for name in ROLES:
        user = User.objects.create_user(f"walk-{name}")  # no password: signed in by force_login
        OperatorMembership.objects.create(user=user, shop=shop, role=_OPERATOR_ROLE[name])
        users[name] = user
    for name, in_team, role in (
        ("agent", team_a, "agent"),
        ("other_agent", team_b, "agent"),
        ("lead", team_a, "lead"),
    ):
        agents[name] = AgentProfile.objects.create(
            shop=shop, user=users[name], display_name=name, online=True, created_at=NOON
        )
        TeamMembership.objects.create(team=in_team, agent=agents[name], role=role)
    ticket = services.ticket_open(
        shop=shop, channel="chat", subject="鞋子", body="能退吗", member=member
    )
    Ticket.objects.filter(pk=ticket.pk).update(team=team_a, assignee=None)
    ticket.refresh_from_db()
    delivered_order(shop, member, "O1")
    returned = services.return_request(
        member=member,
        order_id="O1",
        lines=[services.ReturnLineInput("L1", 1)],
        kind="return",
        reason="size",
        ticket=ticket,
    )
    paid_order(shop, member, "O2")
    change = services.order_change_request(
        member=member, order_id="O2", kind="address", value="上海市浦东新区1号"
    )
    return Desk(shop, member, users, agents, ticket, returned, change)
