from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member
from patron.service import services as service_services
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket

ROLES = ["admin", "marketing", "finance", "service_agent", "service_lead", "analyst"]


@pytest.fixture(autouse=True)
def _fast_hashes(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    # ticket attachments are written through the default storage: a fresh folder
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def operators(shop: Shop) -> dict[str, User]:
    """One operator of each role in ``shop``."""
    roles_sync()
    users = {}
    for role in ROLES:
        user = User.objects.create_user(role, password="pw", is_staff=role == "admin")
        OperatorMembership.objects.create(user=user, shop=shop, role=role)
        users[role] = user
    return users


@pytest.fixture
def as_role(operators: dict[str, User]) -> Any:
    def make(role: str) -> Client:
        client = Client()
        client.force_login(operators[role])
        return client

    return make


@pytest.fixture
def member(shop: Shop) -> Member:
    return Member.objects.create(
        shop=shop,
        external_id="M200",
        name="李雷",
        phone="+8613912345678",
        email="lilei@example.com",
        registered_at=clock.now(),
        created_at=clock.now(),
        updated_at=clock.now(),
    )


@pytest.fixture
def desk(shop: Shop, operators: dict[str, User], member: Member) -> dict[str, Any]:
    """Two teams; the agent in pre-sale, the lead leading VIP; a ticket in each
    team and one not routed yet."""
    clock.freeze(dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC))
    now = clock.now()
    presale = Team.objects.create(shop=shop, code="pre", name="售前", created_at=now)
    vip = Team.objects.create(shop=shop, code="vip", name="VIP", created_at=now)
    agent = AgentProfile.objects.create(
        shop=shop, user=operators["service_agent"], display_name="小王", created_at=now
    )
    TeamMembership.objects.create(team=presale, agent=agent, role="agent")
    lead = AgentProfile.objects.create(
        shop=shop, user=operators["service_lead"], display_name="张组长", created_at=now
    )
    TeamMembership.objects.create(team=vip, agent=lead, role="lead")
    tickets = {}
    for name, team, channel, topic in (
        ("pre", presale, "chat", "pre_sale"),
        ("vip", vip, "email", "complaint"),
        ("none", None, "chat", "logistics"),
    ):
        clock.advance(dt.timedelta(minutes=1))
        ticket = service_services.ticket_open(
            shop=shop,
            channel=channel,
            subject=f"subject-{name}",
            body=f"body-{name}",
            member=member,
            topic=topic,
        )
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        tickets[name] = ticket
    return {"agent": agent, "lead": lead, "teams": (presale, vip), "tickets": tickets}


# the assistant's pages: a stand-in engine until asstengine's lands
from patron.assistant.tests.fakes import fake_engine  # noqa: E402

__all__ = ["fake_engine"]
