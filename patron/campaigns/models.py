"""Campaigns: handing out what tiers promise and other apps deliver.

For now the monthly coupon pack of a tier (birthday gifts follow the same
shape); member days, check-in contests, win-back and pilots will live here too.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.tiers.models import Tier


class PackState(models.TextChoices):
    RECORDED = "recorded", _("recorded, not yet delivered")
    PENDING = "pending", _("coupons to be issued")
    DELIVERED = "delivered", _("coupons issued")


class MonthlyCouponPack(models.Model):
    """One member's coupon pack for one month; the unique key makes it once a month.

    The row is recorded first (set-based, by the job), then its coupons are
    issued; ``issued`` counts those already out, so a retry issues only the
    rest and a coupon is never issued twice (each coupon's source reference
    names the pack and its place in it).
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="monthly_coupon_packs"
    )
    month = models.DateField(_("month (its first day)"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    coupon_template = models.CharField(_("coupon template code"), max_length=64)
    count = models.PositiveSmallIntegerField(_("coupons in the pack"))
    issued = models.PositiveSmallIntegerField(_("coupons issued"), default=0)
    state = models.CharField(
        _("state"), max_length=20, choices=PackState.choices, default=PackState.RECORDED
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("monthly coupon pack")
        verbose_name_plural = _("monthly coupon packs")
        ordering = ["-month", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "month"], name="monthlycouponpack_once_a_month"
            ),
            models.CheckConstraint(
                condition=models.Q(issued__lte=models.F("count")),
                name="monthlycouponpack_issued_within_count",
            ),
        ]
        indexes = [models.Index(fields=["shop", "month", "state"])]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.member_id} ×{self.count}"
