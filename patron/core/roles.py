"""Operator roles and what each may do, as Django groups and permissions.

Each later app adds its own codenames here; ``roles_sync`` skips codenames of
apps that are not installed.
"""

from __future__ import annotations

from typing import Literal

ADMIN = "admin"
MARKETING = "marketing"
FINANCE = "finance"
SERVICE_AGENT = "service_agent"
SERVICE_LEAD = "service_lead"
ANALYST = "analyst"

_READ_MEMBERS = ["members.view_member", "orders.view_order", "orders.view_orderline"]

ROLE_PERMISSIONS: dict[str, list[str] | Literal["__all__"]] = {
    ADMIN: "__all__",
    MARKETING: [
        *_READ_MEMBERS,
        "members.change_member",
        "events.view_event",
    ],
    FINANCE: [
        *_READ_MEMBERS,
        "core.view_auditlog",
    ],
    SERVICE_AGENT: [
        *_READ_MEMBERS,
        "members.view_member_pii",
    ],
    SERVICE_LEAD: [
        *_READ_MEMBERS,
        "members.view_member_pii",
        "members.change_member",
        "core.view_auditlog",
    ],
    ANALYST: [
        *_READ_MEMBERS,
        "events.view_event",
    ],
}

# The operator console (patron.console): who may sign in and who sees the dashboard.
_CONSOLE_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: ["console.use_console", "console.view_dashboard"],
    FINANCE: ["console.use_console", "console.view_dashboard"],
    SERVICE_AGENT: ["console.use_console"],
    SERVICE_LEAD: ["console.use_console", "console.view_dashboard"],
    ANALYST: ["console.use_console", "console.view_dashboard"],
}
for _role, _extra in _CONSOLE_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)
