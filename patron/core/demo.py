"""The demo accounts that ``patron seed-demo`` creates and ``make run`` prints."""

from __future__ import annotations

DEMO_PASSWORD = "patron-demo-2026"  # noqa: S105 - demo data only, printed on purpose

# (username, role group, is_superuser)
DEMO_OPERATORS: list[tuple[str, str, bool]] = [
    ("admin", "admin", True),
    ("marketing", "marketing", False),
    ("finance", "finance", False),
    ("agent", "service_agent", False),
    ("lead", "service_lead", False),
    ("analyst", "analyst", False),
]
DEMO_MEMBER_EXTERNAL_ID = "M000001"
DEMO_MEMBER_PHONE = "13800000001"
DEMO_SHOP = "Demo Shop"

DEMO_ACCOUNTS_TEXT = (
    "Demo accounts (password for all: " + DEMO_PASSWORD + "):\n"
    "  operator (admin):  admin        -> /console/ and /admin/\n"
    "  marketing:         marketing    -> /console/\n"
    "  finance:           finance      -> /console/\n"
    "  service agent:     agent        -> /console/\n"
    "  service lead:      lead         -> /console/\n"
    "  analyst:           analyst      -> /console/\n"
    "  demo member:       phone "
    + DEMO_MEMBER_PHONE
    + " (member "
    + DEMO_MEMBER_EXTERNAL_ID
    + ") -> / (member portal)\n"
    "  shop API key:      patron create-api-key --shop '" + DEMO_SHOP + "'\n"
)
