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
from patron.service.models.routing import DedicatedAgent, MailInbox, RoutingRule, RoutingSettings
from patron.service.models.sla import (
    BusinessCalendar,
    CalendarDay,
    DayKind,
    SlaBreach,
    SlaPolicy,
    SlaTarget,
    SlaWarning,
    TicketSla,
)

__all__ = [
    "AgentProfile",
    "Attachment",
    "BusinessCalendar",
    "CalendarDay",
    "Contact",
    "DayKind",
    "DedicatedAgent",
    "EntryKind",
    "MailInbox",
    "RoutingRule",
    "RoutingSettings",
    "SlaBreach",
    "SlaPolicy",
    "SlaTarget",
    "SlaWarning",
    "Team",
    "TeamMembership",
    "TeamRole",
    "Ticket",
    "TicketChannel",
    "TicketEntry",
    "TicketPriority",
    "TicketSequence",
    "TicketSla",
    "TicketStatus",
    "TicketTopic",
]

from patron.service.models.returns import (
    DEFAULT_RETURN_WINDOW_DAYS,
    ReturnKind,
    ReturnLine,
    ReturnPhoto,
    ReturnReason,
    ReturnRequest,
    ReturnSettings,
    ReturnState,
    ReturnStep,
)

__all__ += [
    "DEFAULT_RETURN_WINDOW_DAYS",
    "ReturnKind",
    "ReturnLine",
    "ReturnPhoto",
    "ReturnReason",
    "ReturnRequest",
    "ReturnSettings",
    "ReturnState",
    "ReturnStep",
]

from patron.service.models.compensation import (  # noqa: E402
    AgentCompensation,
    Compensation,
    CompensationKind,
    CompensationSettings,
    CompensationState,
    TeamCompensation,
)

__all__ += [
    "AgentCompensation",
    "Compensation",
    "CompensationKind",
    "CompensationSettings",
    "CompensationState",
    "TeamCompensation",
]

from patron.service.models.order_changes import (  # noqa: E402
    OrderChangeKind,
    OrderChangeRequest,
    OrderChangeState,
)

__all__ += ["OrderChangeKind", "OrderChangeRequest", "OrderChangeState"]
