"""Compensation (补偿): points or a coupon an agent grants a member on a
ticket, the limits above which a lead approves it, and the monthly budgets
of agents and teams. Points count in points, coupons in their face value
(fen)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models.desk import AgentProfile, Team, Ticket


class CompensationSettings(models.Model):
    """The shop's defaults: what one grant may be without a lead's approval
    (per role) and the monthly budgets of each agent and each team."""

    shop = models.OneToOneField(
        Shop, on_delete=models.CASCADE, related_name="compensation_settings"
    )
    agent_points_limit = models.PositiveIntegerField(
        _("agent's limit per grant (points)"), default=200
    )
    lead_points_limit = models.PositiveIntegerField(
        _("lead's limit per grant (points)"), default=2000
    )
    agent_coupon_limit = models.PositiveIntegerField(
        _("agent's limit per grant (coupon value, fen)"), default=2000
    )
    lead_coupon_limit = models.PositiveIntegerField(
        _("lead's limit per grant (coupon value, fen)"), default=20000
    )
    agent_monthly_points = models.PositiveIntegerField(_("agent's monthly points"), default=5000)
    agent_monthly_coupon = models.PositiveIntegerField(
        _("agent's monthly coupon value (fen)"), default=50000
    )
    team_monthly_points = models.PositiveIntegerField(_("team's monthly points"), default=50000)
    team_monthly_coupon = models.PositiveIntegerField(
        _("team's monthly coupon value (fen)"), default=500000
    )

    class Meta:
        verbose_name = _("compensation settings")
        verbose_name_plural = _("compensation settings")


class AgentCompensation(models.Model):
    """One agent's own limits and budget, where they differ from the shop's."""

    agent = models.OneToOneField(
        AgentProfile, on_delete=models.CASCADE, related_name="compensation"
    )
    points_limit = models.PositiveIntegerField(null=True, blank=True)
    coupon_limit = models.PositiveIntegerField(null=True, blank=True)
    monthly_points = models.PositiveIntegerField(null=True, blank=True)
    monthly_coupon = models.PositiveIntegerField(null=True, blank=True)


class TeamCompensation(models.Model):
    """One team's monthly budget, where it differs from the shop's."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="compensation")
    monthly_points = models.PositiveIntegerField(null=True, blank=True)
    monthly_coupon = models.PositiveIntegerField(null=True, blank=True)


class CompensationKind(models.TextChoices):
    POINTS = "points", _("points")
    COUPON = "coupon", _("coupon")


class CompensationState(models.TextChoices):
    AWAITING = "awaiting", _("awaiting a lead's approval")
    APPLIED = "applied", _("granted")
    REJECTED = "rejected", _("rejected")


class Compensation(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="compensations")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(AgentProfile, on_delete=models.PROTECT, related_name="compensations")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="compensations"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=CompensationKind.choices)
    points = models.PositiveIntegerField(_("points"), default=0)
    coupon_template = models.ForeignKey(
        "promotions.CouponTemplate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = models.PositiveIntegerField(
        _("value"), help_text=_("points for points, the coupon's face value in fen for a coupon")
    )
    reason = models.CharField(_("reason"), max_length=500)
    state = models.CharField(_("state"), max_length=10, choices=CompensationState.choices)
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ledger_entry = models.ForeignKey(
        "points.LedgerEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coupon = models.ForeignKey(
        "promotions.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        indexes = [
            models.Index(fields=["agent", "requested_at"], name="service_comp_agent_month"),
            models.Index(fields=["team", "requested_at"], name="service_comp_team_month"),
            models.Index(fields=["shop", "state"], name="service_comp_queue"),
        ]
