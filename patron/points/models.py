"""Points: accounts, lots, the append-only ledger, draws and adjustments, and
the points-as-cash settings checkout reads (积分抵现).

The ledger is the truth. For every account, always:

    available == Σ entry.delta_available == Σ remaining of its available lots
    pending   == Σ entry.delta_pending   == Σ remaining of its pending lots
    debt      == Σ entry.delta_debt
    lifetime_earned == Σ entry.delta_lifetime

``patron check-ledger`` verifies exactly this. Entries are never updated or
deleted; the cached balances move with ``F()`` in the entry's transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


class ExpiryPolicy(models.TextChoices):
    NEVER = "never", _("never")
    MONTHS = "months", _("N months after earning")
    YEAR_END_NEXT = "year_end_next", _("end of the calendar year after the year earned")


class DebtPolicy(models.TextChoices):
    FLOOR_ZERO = "floor_zero", _("take down to zero, forgive the rest")
    ALLOW_DEBT = "allow_debt", _("let the balance go negative (debt repaid by future earnings)")


class PointsProgram(models.Model):
    """A shop's points settings."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="points_program")
    expiry_policy = models.CharField(
        _("expiry"), max_length=20, choices=ExpiryPolicy.choices, default=ExpiryPolicy.YEAR_END_NEXT
    )
    expiry_months = models.PositiveSmallIntegerField(_("expiry after (months)"), default=12)
    return_window_days = models.PositiveSmallIntegerField(
        _("return window (days) before order points become available"), default=7
    )
    debt_policy = models.CharField(
        _("when refunded points were already spent"),
        max_length=20,
        choices=DebtPolicy.choices,
        default=DebtPolicy.FLOOR_ZERO,
    )
    approval_threshold = models.PositiveIntegerField(
        _("manual adjustments above this many points need a second operator"), default=1000
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points programme")
        verbose_name_plural = _("points programmes")

    def __str__(self) -> str:
        return f"{self.shop} points"


class PointsCashSettings(models.Model):
    """How points pay for part of an order. Defaults: 100 points = ¥1, at most 50%."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="points_cash")
    enabled = models.BooleanField(_("enabled"), default=True)
    points_per_yuan = models.PositiveIntegerField(
        _("points per ¥1"), default=100, help_text=_("100 = 100 points pay ¥1")
    )
    max_share_percent = models.PositiveSmallIntegerField(
        _("largest share of the order payable with points (%)"), default=50
    )
    min_points = models.PositiveIntegerField(_("minimum points per order"), default=100)
    step_points = models.PositiveIntegerField(_("points in steps of"), default=100)
    combine_with_coupons = models.BooleanField(_("may combine with coupons"), default=True)
    hold_minutes = models.PositiveIntegerField(
        _("hold time-out (minutes)"), default=30, help_text=_("unpaid holds are released after")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("points-as-cash settings")
        verbose_name_plural = _("points-as-cash settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_yuan__gt=0)
                & Q(step_points__gt=0)
                & Q(max_share_percent__lte=100),
                name="points_cash_settings_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop}: {self.points_per_yuan} points = ¥1"


class PointsCashTierRate(models.Model):
    """A tier's own rate, e.g. Diamond members: 80 points = ¥1."""

    settings = models.ForeignKey(
        PointsCashSettings, on_delete=models.CASCADE, related_name="tier_rates"
    )
    tier_code = models.CharField(_("tier code"), max_length=30)
    points_per_yuan = models.PositiveIntegerField(_("points per ¥1"))

    class Meta:
        verbose_name = _("tier rate")
        verbose_name_plural = _("tier rates")
        constraints = [
            models.UniqueConstraint(
                fields=["settings", "tier_code"], name="points_cash_tier_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(points_per_yuan__gt=0), name="points_cash_tier_rate_positive"
            ),
        ]


class PointsAccount(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    member = models.OneToOneField(Member, on_delete=models.PROTECT, related_name="points_account")
    available = models.BigIntegerField(_("available"), default=0)
    pending = models.BigIntegerField(_("pending"), default=0)
    debt = models.BigIntegerField(_("debt"), default=0)
    lifetime_earned = models.BigIntegerField(_("lifetime earned"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0)
                & Q(pending__gte=0)
                & Q(debt__gte=0)
                & Q(lifetime_earned__gte=0),
                name="points_account_balances_not_negative",
            ),
            # Debt is repaid before anything becomes available.
            models.CheckConstraint(
                condition=Q(available=0) | Q(debt=0), name="points_account_debt_or_available"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.available}"


class LotState(models.TextChoices):
    PENDING = "pending", _("pending")
    AVAILABLE = "available", _("available")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")
    ACTIVATE = "activate", _("became available")
    REDEEM = "redeem", _("redeemed")
    HOLD = "hold", _("held")
    CAPTURE = "capture", _("captured")
    RELEASE = "release", _("released")
    EXPIRE = "expire", _("expired")
    REVERSE = "reverse", _("reversed")
    ADJUST = "adjust", _("adjusted")


class LedgerEntry(models.Model):
    # Indexed by the composite indexes below that start with it.
    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    # What the member sees as the amount of this line of history (signed).
    points = models.BigIntegerField(_("points"))
    delta_available = models.BigIntegerField(default=0)
    delta_pending = models.BigIntegerField(default=0)
    delta_debt = models.BigIntegerField(default=0)
    delta_lifetime = models.BigIntegerField(default=0)
    # The nullable references are indexed only where set (Meta.indexes): most
    # entries leave some of them empty, and every index costs each insert.
    rule = models.ForeignKey(
        "rules.EarningRule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    rule_version = models.ForeignKey(
        "rules.EarningRuleVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    event = models.ForeignKey(
        "events.Event",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    lot = models.ForeignKey(
        "PointsLot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    reason_code = models.CharField(_("reason"), max_length=50)
    reason_params = models.JSONField(default=dict, blank=True)
    idempotency_key = models.CharField(max_length=150, null=True, blank=True)  # noqa: DJ001
    created_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger")
        constraints = [
            # Only entries with a key are indexed: expiry writes 200,000
            # keyless entries in one statement, and every index costs there.
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                name="ledger_entry_idempotent",
                condition=Q(idempotency_key__isnull=False),
            )
        ]
        indexes = [
            models.Index(fields=["account", "-id"]),
            # The caps' "earned from this rule on that day / in that month"
            # (rule set): narrows to the account's entries of the rule, whose
            # lots' earned_at then decide the day (points.services.earn.cap_room).
            models.Index(
                fields=["account", "rule", "created_at"],
                name="ledger_account_rule_time_idx",
                condition=Q(rule__isnull=False),
            ),
            *(
                models.Index(
                    fields=[f], name=f"ledger_{f}_set_idx", condition=Q(**{f"{f}__isnull": False})
                )
                for f in ("rule", "rule_version", "event", "order", "operator")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"


class PointsLot(models.Model):
    """Points credited together, sharing one expiry; spent earliest expiry first."""

    # Indexed by (account, state, expires_at) below.
    account = models.ForeignKey(
        PointsAccount, on_delete=models.PROTECT, related_name="lots", db_index=False
    )
    points = models.BigIntegerField(_("points"))
    remaining = models.BigIntegerField(_("remaining"))
    state = models.CharField(_("state"), max_length=10, choices=LotState.choices)
    earned_at = models.DateTimeField(_("earned at"))
    # Pending order points: null until the order completes; then completion + window.
    available_at = models.DateTimeField(_("available at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    expired_points = models.BigIntegerField(default=0)
    # When the expiry run took it: the account's ``expire`` entry of that run
    # has this time as its created_at (points.services.expiry).
    expired_at = models.DateTimeField(_("expired at"), null=True, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # indexed where set, below
    )
    rule_version = models.ForeignKey(
        "rules.EarningRuleVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        constraints = [
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("points")),
                name="points_lot_remaining_in_range",
            )
        ]
        indexes = [
            models.Index(fields=["account", "state", "expires_at"]),
            models.Index(
                fields=["expires_at"],
                name="points_lot_due_idx",
                condition=Q(state="available", remaining__gt=0),
            ),
            models.Index(
                fields=["available_at"],
                name="points_lot_activate_idx",
                condition=Q(state="pending"),
            ),
            models.Index(
                fields=["order"], name="points_lot_order_set_idx", condition=Q(order__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.points} {self.state}"


class LotDraw(models.Model):
    """How many points one debit took from one lot."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="draws")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="draws")
    points = models.BigIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="lot_draw_positive")]


class LineEarning(models.Model):
    """Points a lot owes to one order line, so a refund of that line reverses exactly them."""

    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="line_earnings")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    points = models.BigIntegerField()
    reversed_points = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(reversed_points__gte=0) & Q(reversed_points__lte=models.F("points")),
                name="line_earning_reversed_in_range",
            )
        ]


class CheckIn(models.Model):
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    streak = models.PositiveIntegerField()
    points = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="checkin_once_a_day")]


class AdjustmentState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting", _("awaiting approval")
    APPLIED = "applied", _("applied")
    REJECTED = "rejected", _("rejected")


class PointsAdjustment(models.Model):
    """An operator's grant (+) or deduction (−), applied at once or after approval."""

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    points = models.BigIntegerField(_("points (+ grant, − deduct)"))
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=AdjustmentState.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entry = models.ForeignKey(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("points adjustment")
        verbose_name_plural = _("points adjustments")
        permissions = [
            ("adjust_points", "Can grant or deduct points (may need approval)"),
            ("approve_adjustment", "Can approve another operator's points adjustment"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(points=0), name="adjustment_nonzero")]

    def __str__(self) -> str:
        return f"{self.member} {self.points:+d} ({self.state})"
