"""Earning rules, as versioned data.

An ``EarningRule`` is the stable identity an operator sees ("Points on orders",
"Review bonus"). Its settings live in immutable ``EarningRuleVersion`` rows:
editing a rule adds a version and moves ``current_version``; ledger entries
point at the version that produced them, so old entries keep explaining
themselves after the rule changes.

Multipliers are integer percentages (150 = ×1.5). Money is fen.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop


class Trigger(models.TextChoices):
    ORDER_PAID = "order.paid", _("order paid (points per yuan)")
    REVIEW_POSTED = "review.posted", _("review posted")
    LINK_SHARED = "link.shared", _("link shared")
    MEMBER_REGISTERED = "member.registered", _("sign-up")
    PROFILE_COMPLETED = "profile.completed", _("profile completed")
    BIRTHDAY = "birthday", _("birthday")
    CHECKIN = "checkin", _("daily check-in")
    # Plus any "custom.<name>" event type, stored as is.


class EarningRule(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="earning_rules")
    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(
        _("trigger"),
        max_length=100,
        help_text=_("one of the listed triggers, or custom.<name> for a custom event"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "EarningRuleVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("current version"),
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        indexes = [models.Index(fields=["shop", "trigger", "is_active"])]

    def __str__(self) -> str:
        return self.name

    @property
    def trigger_label(self) -> str:
        """The trigger in words (a custom event's type as it is)."""
        if self.trigger in Trigger.values:
            return str(Trigger(self.trigger).label)
        return self.trigger


class EarningRuleVersion(models.Model):
    rule = models.ForeignKey(EarningRule, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    condition = models.TextField(
        _("condition (CEL)"),
        blank=True,
        help_text=_('e.g. event.data.rating >= 4 && member.tier in ["gold", "diamond"]'),
    )
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    # Actions: a fixed number of points, plus more for a review with photos.
    points = models.PositiveIntegerField(_("points per action"), default=0)
    photo_bonus_points = models.PositiveIntegerField(_("extra points with photos"), default=0)
    # Orders: points per yuan actually paid for goods, rounded down.
    points_per_yuan = models.PositiveIntegerField(_("points per yuan"), default=0)
    # ... for every this many yuan: 1 point for every ¥10 is 1 per 10.
    spend_step_yuan = models.PositiveIntegerField(
        _("for every (yuan)"),
        default=1,
        blank=True,
        help_text=_("the points above are for every this many yuan paid, e.g. 10"),
    )
    min_order_amount = models.BigIntegerField(_("minimum paid amount (fen)"), default=0)
    category_multipliers = models.JSONField(_("category multipliers (%)"), default=dict, blank=True)
    sku_multipliers = models.JSONField(_("SKU multipliers (%)"), default=dict, blank=True)
    tier_multipliers = models.JSONField(_("tier multipliers (%)"), default=dict, blank=True)
    member_day_of_month = models.PositiveSmallIntegerField(
        _("member day (day of month)"), null=True, blank=True
    )
    member_day_multiplier = models.PositiveIntegerField(_("member day multiplier (%)"), default=100)
    # A campaign (say Double 11, ×3) multiplies the order's points in its window.
    campaign_name = models.CharField(_("campaign"), max_length=100, blank=True)
    campaign_starts_at = models.DateTimeField(_("campaign starts at"), null=True, blank=True)
    campaign_ends_at = models.DateTimeField(_("campaign ends at"), null=True, blank=True)
    campaign_multiplier = models.PositiveIntegerField(
        _("campaign multiplier (%)"), default=100, blank=True
    )
    # Caps per member, in points earned from this rule (0 = no cap).
    daily_cap = models.PositiveIntegerField(_("daily cap per member"), default=0)
    monthly_cap = models.PositiveIntegerField(_("monthly cap per member"), default=0)
    # Check-in: {"7": 50} gives 50 more points on the 7th consecutive day.
    streak_bonuses = models.JSONField(_("streak bonuses"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("earning rule version")
        verbose_name_plural = _("earning rule versions")
        constraints = [
            models.UniqueConstraint(fields=["rule", "version"], name="rule_version_unique"),
            models.CheckConstraint(
                condition=models.Q(min_order_amount__gte=0)
                & (
                    models.Q(member_day_of_month__isnull=True)
                    | models.Q(member_day_of_month__gte=1, member_day_of_month__lte=31)
                ),
                name="rule_version_values_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name} v{self.version}"
