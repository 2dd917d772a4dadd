"""Every write on points goes through these functions (see the submodules)."""

from patron.points.services.actions import action_earn, birthday_grant_due, checkin_record
from patron.points.services.adjustments import (
    adjustment_approve,
    adjustment_problem,
    adjustment_reject,
    adjustment_request,
)
from patron.points.services.earn import order_earn, order_preview
from patron.points.services.expiry import lots_expire_due
from patron.points.services.ledger import account_lock, points_program_get
from patron.points.services.orders import (
    available_after_completion,
    order_cancelled,
    order_completed,
    order_redeem,
    order_refunded,
    pending_activate_due,
)

__all__ = [
    "account_lock",
    "action_earn",
    "adjustment_approve",
    "adjustment_problem",
    "adjustment_reject",
    "adjustment_request",
    "available_after_completion",
    "birthday_grant_due",
    "checkin_record",
    "lots_expire_due",
    "order_cancelled",
    "order_completed",
    "order_earn",
    "order_preview",
    "order_redeem",
    "order_refunded",
    "pending_activate_due",
    "points_program_get",
]
