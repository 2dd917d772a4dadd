"""The rewards catalogue (积分商城) and redemptions (the points-as-cash settings,
积分抵现, are points's: ``patron.points.models.PointsCashSettings``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


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
