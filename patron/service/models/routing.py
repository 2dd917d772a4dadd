"""Where a new ticket goes: ordered rules to a team, a default team, a
member's dedicated agent (专属客服), and the inboxes mail arrives at."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models.desk import AgentProfile, Team, TicketChannel, TicketTopic


class RoutingRule(models.Model):
    """First match by ``position`` wins; a blank condition matches anything.
    ``min_tier_rank`` sends high tiers (rank at least this) to their team."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="service_routing_rules")
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    channel = models.CharField(
        _("channel"), max_length=10, choices=TicketChannel.choices, blank=True
    )
    topic = models.CharField(_("topic"), max_length=20, choices=TicketTopic.choices, blank=True)
    tier_code = models.CharField(_("tier code"), max_length=32, blank=True)
    min_tier_rank = models.PositiveSmallIntegerField(_("tier rank at least"), null=True, blank=True)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="routing_rules")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name or f"#{self.position} → {self.team_id}"


class RoutingSettings(models.Model):
    """The team a ticket goes to when no rule matches."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="service_routing")
    default_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("routing settings")
        verbose_name_plural = _("routing settings")


class DedicatedAgent(models.Model):
    """A member's named agent (专属客服): gets their tickets first, while
    available; otherwise the routed team's round robin takes them."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="dedicated_agent"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="dedicated_to")

    class Meta:
        verbose_name = _("dedicated agent")
        verbose_name_plural = _("dedicated agents")


class MailInbox(models.Model):
    """An address mail for the desk arrives at (the SMTP listener maps the
    recipient to the shop by it) and the hashed token of the inbound-mail
    webhook that posts to it."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="service_inboxes")
    address = models.EmailField(_("address"), unique=True)
    token_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("mail inbox")
        verbose_name_plural = _("mail inboxes")

    def __str__(self) -> str:
        return self.address
