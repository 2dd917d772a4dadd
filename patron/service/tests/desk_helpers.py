"""Teams, agents and tickets for the svcdesk tests."""

from __future__ import annotations

from django.contrib.auth.models import User

from patron.core.models import Shop
from patron.members.models import Member
from patron.service import services
from patron.service.models import AgentProfile, Team, TeamMembership, Ticket
from patron.service.tests.conftest import NOON

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"0" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 20
GIF = b"GIF89a" + b"\x00" * 20


def team(shop: Shop, code: str) -> Team:
    return Team.objects.create(shop=shop, code=code, name=code, created_at=NOON)


def agent(shop: Shop, name: str, in_team: Team | None = None, role: str = "agent") -> AgentProfile:
    user = User.objects.create_user(name, password="x" * 12)
    profile = AgentProfile.objects.create(
        shop=shop, user=user, display_name=name, online=True, created_at=NOON
    )
    if in_team is not None:
        TeamMembership.objects.create(team=in_team, agent=profile, role=role)
    return profile


def ticket(
    shop: Shop, member: Member, in_team: Team | None, subject: str = "s", channel: str = "chat"
) -> Ticket:
    opened = services.ticket_open(
        shop=shop, channel=channel, subject=subject, body="hello", member=member
    )
    opened.team = in_team
    opened.save()
    return opened
