"""The service desk's part of the console role walk's two shops."""

from __future__ import annotations

from django.contrib.auth.models import User

from patron.core.models import Shop


def service_desks(shop_a: Shop, shop_b: Shop, operators: dict[str, User]) -> set[str]:
    """A team in each shop with tickets; shop A's agent and lead work in its
    team (so their ticket is theirs to read and answer). Shop B's tickets
    start numbering where A's end, so B's number is no ticket of A's.
    The first ticket of each shop carries a file (the download page).
    Returns what of shop B's tickets must never show."""
    from patron.core import clock
    from patron.members.models import Member
    from patron.service import services as service_services
    from patron.service.models import AgentProfile, Team, TeamMembership, Ticket

    now = clock.now()
    markers: set[str] = set()
    for shop, count in ((shop_a, 1), (shop_b, 2)):
        team = Team.objects.create(shop=shop, code="desk", name=f"{shop.name} desk", created_at=now)
        member = Member.objects.filter(shop=shop).order_by("pk").first()
        assert member is not None
        for i in range(count):
            subject = f"乙店工单 {i}" if shop == shop_b else f"ticket {i}"
            ticket = service_services.ticket_open(
                shop=shop, channel="chat", subject=subject, body=f"{subject} body", member=member
            )
            Ticket.objects.filter(pk=ticket.pk).update(team=team)
            if i == 0:  # a file on the ticket (the download page)
                service_services.attachments_add(
                    entry=ticket.entries.get(),
                    uploads=[service_services.Upload(name="walk.pdf", content=b"%PDF-1.7\n0")],
                )
            if shop == shop_b:
                markers |= {subject, f"{subject} body"}
        if shop == shop_a:
            for role, team_role in (("service_agent", "agent"), ("service_lead", "lead")):
                agent = AgentProfile.objects.create(
                    shop=shop, user=operators[role], display_name=role, created_at=now
                )
                TeamMembership.objects.create(team=team, agent=agent, role=team_role)
    return markers
