"""One way to add an entry to a ticket's timeline: on the ticket's shop and
channel, at a given time. The lowest room of the service writes, so every
other one (routing, conversation, work, the automated responder) uses it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from patron.service.models import AgentProfile, Ticket, TicketEntry


def entry_add(
    ticket: Ticket,
    kind: str,
    *,
    at: dt.datetime,
    author: AgentProfile | None = None,
    body: str = "",
    data: dict[str, Any] | None = None,
) -> TicketEntry:
    return TicketEntry.objects.create(
        shop_id=ticket.shop_id,
        ticket=ticket,
        kind=kind,
        channel=ticket.channel,
        author=author,
        body=body,
        data=data or {},
        created_at=at,
    )
