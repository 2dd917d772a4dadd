"""The service desk's state. One module a room: the desk (teams, agents,
tickets and their timelines) here; SLAs, routing and returns in their own
modules as they come."""

from patron.service.models.desk import (
    AgentProfile,
    Attachment,
    Contact,
    EntryKind,
    Team,
    TeamMembership,
    TeamRole,
    Ticket,
    TicketChannel,
    TicketEntry,
    TicketPriority,
    TicketSequence,
    TicketStatus,
    TicketTopic,
)

__all__ = [
    "AgentProfile",
    "Attachment",
    "Contact",
    "EntryKind",
    "Team",
    "TeamMembership",
    "TeamRole",
    "Ticket",
    "TicketChannel",
    "TicketEntry",
    "TicketPriority",
    "TicketSequence",
    "TicketStatus",
    "TicketTopic",
]

from patron.service.models.macros import Macro

__all__ += ["Macro"]
