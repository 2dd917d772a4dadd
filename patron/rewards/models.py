"""The rewards catalogue (积分商城), redemptions, and points-as-cash settings (积分抵现)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


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


class RewardKind(models.TextChoices):
    PHYSICAL = "physical", _("physical gift")
    COUPON = "coupon", _("coupon")
    OTHER = "other", _("other (service, voucher, donation)")


class Reward(models.Model):
    """An item in the rewards catalogue (兑换商品 / 礼品)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="rewards")
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=RewardKind.choices)
    coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rewards",
    )
    points_price = models.PositiveIntegerField(_("points price"))
    tier_codes = models.JSONField(_("tiers"), default=list, blank=True)
    starts_at = models.DateTimeField(_("available from"), null=True, blank=True)
    ends_at = models.DateTimeField(_("available until"), null=True, blank=True)
    per_member_limit = models.PositiveIntegerField(
        _("per member"), default=0, help_text=_("0 = no limit")
    )
    stock = models.PositiveIntegerField(
        _("stock left"), null=True, blank=True, help_text=_("empty = unlimited")
    )
    redeemed_count = models.PositiveIntegerField(_("redeemed"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind="coupon") | Q(coupon_template__isnull=False),
                name="reward_coupon_has_template",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    PLACED = "placed", _("placed")
    FULFILLED = "fulfilled", _("fulfilled")
    CANCELLED = "cancelled", _("cancelled")


class Redemption(models.Model):
    """An order of points for one reward (积分兑换)."""

    # Shown masked to roles without members.view_member_pii (core.admin.PiiGuardedAdmin).
    PII_FIELDS = ("shipping_address",)

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="redemptions")
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    request_id = models.CharField(_("request id"), max_length=64)
    points = models.PositiveIntegerField(_("points"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=RedemptionStatus.choices,
        default=RedemptionStatus.PLACED,
    )
    points_entry_id = models.BigIntegerField(_("ledger entry"), null=True, blank=True)
    coupon = models.ForeignKey(
        "promotions.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    shipping_address = models.TextField(_("shipping address"), blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    placed_at = models.DateTimeField(_("placed at"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        permissions = [
            ("fulfil_redemption", "Can mark redemptions fulfilled"),
            ("cancel_redemption", "Can cancel redemptions (points and stock back)"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["shop", "request_id"], name="redemption_request_unique")
        ]
        indexes = [models.Index(fields=["member", "reward", "status"])]

    def __str__(self) -> str:
        return f"{self.member} {self.reward} ({self.status})"
