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

ROLE_CHOICES = [
    (ADMIN, "admin"),
    (MARKETING, "marketing"),
    (FINANCE, "finance"),
    (SERVICE_AGENT, "service agent"),
    (SERVICE_LEAD, "service lead"),
    (ANALYST, "analyst"),
]

_READ_MEMBERS = ["members.view_member", "orders.view_order", "orders.view_orderline"]

# What no shop's role holds, not even a shop's admin: operator accounts and
# their shops, the shops themselves, and the sign-in throttling records
# (django-axes: attempts by user name and address across every shop, not one
# shop's data). Superusers manage these.
SUPERUSER_ONLY_APPS = ("auth", "admin", "contenttypes", "sessions", "axes")
SUPERUSER_ONLY = {
    "core.add_shop",
    "core.delete_shop",
    "core.add_operatormembership",
    "core.change_operatormembership",
    "core.delete_operatormembership",
    "core.view_operatormembership",
}

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
    MARKETING: [
        "console.use_console",
        "console.view_dashboard",
        # coupon templates are made in the console, where marketing works
        "promotions.view_coupontemplate",
        "promotions.add_coupontemplate",
    ],
    FINANCE: ["console.use_console", "console.view_dashboard", "promotions.view_coupontemplate"],
    SERVICE_AGENT: ["console.use_console"],
    SERVICE_LEAD: ["console.use_console", "console.view_dashboard"],
    ANALYST: ["console.use_console", "console.view_dashboard"],
}
for _role, _extra in _CONSOLE_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)

# Points (patron.points): marketing requests adjustments; finance (and admin)
# approve them; everyone who reads members may read balances and the ledger.
_POINTS_READ = ["points.view_pointsaccount", "points.view_ledgerentry", "points.view_pointslot"]
_POINTS_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [
        *_POINTS_READ,
        "points.adjust_points",
        "points.view_pointsadjustment",
        "points.add_pointsadjustment",
        "rules.view_earningrule",
        "rules.add_earningrule",
        "rules.change_earningrule",
        "rules.view_earningruleversion",
        "rules.add_earningruleversion",
        "points.view_pointsprogram",
    ],
    FINANCE: [
        *_POINTS_READ,
        "points.approve_adjustment",
        "points.view_pointsadjustment",
        "points.change_pointsadjustment",
        "points.view_pointsprogram",
        "points.change_pointsprogram",
        "rules.view_earningrule",
        "rules.view_earningruleversion",
    ],
    SERVICE_AGENT: _POINTS_READ,
    SERVICE_LEAD: _POINTS_READ,
    ANALYST: _POINTS_READ,
}
for _role, _extra in _POINTS_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)

# Tiers (patron.tiers): marketing configures tiers and requests overrides; the
# service lead approves overrides (never their own); everyone reading members
# may read tiers, history and statistics.
_TIERS_READ = [
    "tiers.view_tier",
    "tiers.view_tierbenefits",
    "tiers.view_tierprogram",
    "tiers.view_membertier",
    "tiers.view_tierchange",
    "tiers.view_tieroverride",
    "tiers.view_tierstats",
    "tiers.view_tiermigration",
    "tiers.view_tiergift",
]
_TIERS_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [
        *_TIERS_READ,
        "tiers.add_tier",
        "tiers.change_tier",
        "tiers.change_tierbenefits",
        "tiers.change_tierprogram",
        "tiers.add_tieroverride",
        "tiers.retire_tier",
    ],
    FINANCE: _TIERS_READ,
    SERVICE_AGENT: ["tiers.view_tier", "tiers.view_membertier", "tiers.view_tierchange"],
    SERVICE_LEAD: [*_TIERS_READ, "tiers.add_tieroverride", "tiers.approve_tieroverride"],
    ANALYST: _TIERS_READ,
}
for _role, _extra in _TIERS_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)

# Promotions and rewards (patron.promotions, patron.rewards): marketing runs
# coupons, flash sales and the catalogue and fulfils redemptions; finance sets
# the points-as-cash rate and reads the rest; service staff read coupons,
# holds and redemptions to answer members.
_PROMOTIONS_READ = [
    "promotions.view_coupontemplate",
    "promotions.view_coupon",
    "promotions.view_checkouthold",
    "promotions.view_flashsale",
    "rewards.view_reward",
    "rewards.view_redemption",
    "points.view_pointscashsettings",
]
_PROMOTIONS_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [
        *_PROMOTIONS_READ,
        "promotions.change_coupontemplate",
        "promotions.add_flashsale",
        "promotions.change_flashsale",
        "rewards.add_reward",
        "rewards.change_reward",
        "rewards.fulfil_redemption",
        "rewards.cancel_redemption",
        "promotions.revoke_coupon",
        "promotions.assign_public_code",
    ],
    FINANCE: [
        *_PROMOTIONS_READ,
        "points.add_pointscashsettings",
        "points.change_pointscashsettings",
        "points.add_pointscashtierrate",
        "points.change_pointscashtierrate",
        "points.view_pointscashtierrate",
    ],
    SERVICE_AGENT: ["promotions.view_coupon", "rewards.view_redemption"],
    SERVICE_LEAD: [
        "promotions.view_coupon",
        "promotions.view_checkouthold",
        "rewards.view_redemption",
    ],
    ANALYST: _PROMOTIONS_READ,
}
for _role, _extra in _PROMOTIONS_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)

# Messaging (patron.messaging): marketing words the messages, switches
# triggers and sets caps and quiet hours; service staff read the delivery log
# and the consent trail and record a member's consent change asked for by
# phone (source console); everyone reading members may read the log.
_MESSAGING_READ = [
    "messaging.view_message",
    "messaging.view_template",
    "messaging.view_kindswitch",
    "messaging.view_messagingsettings",
]
_CONSENT_READ = ["messaging.view_preference", "messaging.view_consentchange"]
_MESSAGING_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: [
        *_MESSAGING_READ,
        *_CONSENT_READ,
        "messaging.change_template",
        "messaging.add_template",
        "messaging.change_kindswitch",
        "messaging.add_kindswitch",
        "messaging.change_messagingsettings",
        "messaging.add_messagingsettings",
    ],
    FINANCE: _MESSAGING_READ,
    SERVICE_AGENT: [*_MESSAGING_READ, *_CONSENT_READ, "messaging.change_preference"],
    SERVICE_LEAD: [
        *_MESSAGING_READ,
        *_CONSENT_READ,
        "messaging.change_preference",
        "messaging.view_unusableaddress",
    ],
    ANALYST: _MESSAGING_READ,
}
for _role, _extra in _MESSAGING_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)


# Service desk (patron.service): agents work their teams' tickets, leads
# also reassign them, analysts read every team's tickets and reply to none.
# Which tickets an agent sees is their teams' (patron.service.selectors).
_SERVICE_READ = ["service.view_ticket", "service.view_ticketentry", "service.view_team"]
_SERVICE_PERMISSIONS: dict[str, list[str]] = {
    SERVICE_AGENT: [*_SERVICE_READ, "service.work_ticket"],
    SERVICE_LEAD: [
        *_SERVICE_READ,
        "service.work_ticket",
        "service.lead_team",
        "service.view_agentprofile",
    ],
    ANALYST: [*_SERVICE_READ, "service.view_all_tickets", "service.view_agentprofile"],
}
for _role, _extra in _SERVICE_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)

# Service SLAs: everyone at the desk reads calendars, policies, due times,
# breaches and warnings; only admins edit calendars and policies.
_SLA_READ = [
    "service.view_businesscalendar",
    "service.view_calendarday",
    "service.view_slapolicy",
    "service.view_ticketsla",
    "service.view_slabreach",
    "service.view_slawarning",
]
for _role in (SERVICE_AGENT, SERVICE_LEAD, ANALYST):
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_SLA_READ)

# The assistant (patron.assistant): marketing and service leads keep the
# knowledge base (they write the shop's answers) and work the learning loop;
# agents read it to answer the same way; analysts read the entries and the
# questions members asked; finance has no part in it.
_ASSISTANT_READ = ["assistant.view_entry", "assistant.view_phrasing", "assistant.view_asked"]
_ASSISTANT_EDIT = [
    *_ASSISTANT_READ,
    "assistant.add_entry",
    "assistant.change_entry",
    "assistant.add_phrasing",
    "assistant.change_phrasing",
    "assistant.delete_phrasing",
    "assistant.change_asked",
]
_ASSISTANT_PERMISSIONS: dict[str, list[str]] = {
    MARKETING: _ASSISTANT_EDIT,
    SERVICE_LEAD: _ASSISTANT_EDIT,
    SERVICE_AGENT: ["assistant.view_entry", "assistant.view_phrasing"],
    ANALYST: _ASSISTANT_READ,
}
for _role, _extra in _ASSISTANT_PERMISSIONS.items():
    _granted = ROLE_PERMISSIONS[_role]
    if isinstance(_granted, list):
        _granted.extend(_extra)
