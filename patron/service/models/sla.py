"""SLAs: business calendars, policies, each ticket's due times, breaches and
warnings (docs/service.md, "SLAs")."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.service.models.desk import (
    DONE_STATUSES,
    AgentProfile,
    Team,
    Ticket,
    TicketChannel,
    TicketPriority,
)


class BusinessCalendar(models.Model):
    """Working hours of a shop (``team`` empty: the shop's default) or of
    one team (it overrides the default for that team's tickets)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="service_calendars")
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="calendar"
    )
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    #: {"0": [["09:00", "12:00"], ["13:30", "18:00"]], ...}, 0 = Monday.
    windows = models.JSONField(_("windows per weekday"), default=dict)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["shop"], condition=Q(team__isnull=True), name="service_calendar_default"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from patron.service.calendar import parse_windows

        errors: dict[str, Any] = {}
        if self.time_zone not in available_timezones():
            errors["time_zone"] = _("unknown time zone, e.g. Asia/Shanghai")
        if not isinstance(self.windows, dict):
            errors["windows"] = _('windows per weekday, e.g. {"0": [["09:00", "12:00"]]}')
        else:
            try:
                parse_windows(self.windows)
            except ValueError as e:
                errors["windows"] = str(e)
        if errors:
            raise ValidationError(errors)


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("holiday (off)")
    WORKDAY = "workday", _("adjusted working day (调休)")


class CalendarDay(models.Model):
    """A date that breaks the weekly pattern: a holiday, or a weekend date
    that works with the windows of ``works_as`` (0 = Monday)."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    works_as = models.PositiveSmallIntegerField(
        _("works as weekday"), null=True, blank=True, validators=[MaxValueValidator(6)]
    )
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="service_calendar_day"),
            models.CheckConstraint(
                condition=Q(kind="holiday") | Q(works_as__isnull=False, works_as__lte=6),
                name="service_workday_weekday",
            ),
        ]

    def clean(self) -> None:
        if self.kind == DayKind.WORKDAY and self.works_as is None:
            raise ValidationError(
                {"works_as": _("an adjusted working day works as one weekday (0 = Monday)")}
            )
        if self.kind == DayKind.HOLIDAY:
            self.works_as = None


class SlaPolicy(models.Model):
    """Targets in minutes of business time. Policies are tried by
    ``position``; the first whose tier, priority and channel match (empty:
    any) sets a ticket's targets."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="sla_policies")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    tier = models.ForeignKey(
        "tiers.Tier", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    priority = models.CharField(
        _("priority"), max_length=10, choices=TicketPriority.choices, blank=True
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=TicketChannel.choices, blank=True
    )
    first_response_minutes = models.PositiveIntegerField(
        _("first response (minutes)"), validators=[MinValueValidator(1)]
    )
    next_response_minutes = models.PositiveIntegerField(
        _("next response (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution (minutes)"), validators=[MinValueValidator(1)]
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["shop", "position", "id"]

    def __str__(self) -> str:
        return self.name


class SlaTarget(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("first response")
    NEXT_RESPONSE = "next_response", _("next response")
    RESOLUTION = "resolution", _("resolution")


class TicketSla(models.Model):
    """A ticket's SLA state: the policy and calendar used, due and warning
    times per target, and the business time it spent paused. Kept beside
    the ticket (one row each) so recalculation touches one narrow table."""

    ticket = models.OneToOneField(
        Ticket, primary_key=True, on_delete=models.CASCADE, related_name="sla"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    policy = models.ForeignKey(
        SlaPolicy, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_response_warn_at = models.DateTimeField(null=True, blank=True)
    first_response_breached_at = models.DateTimeField(null=True, blank=True)
    next_response_due_at = models.DateTimeField(_("next response due"), null=True, blank=True)
    next_response_warn_at = models.DateTimeField(null=True, blank=True)
    next_response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    resolution_warn_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    #: The member message the next response answers, and the paused total then.
    next_from = models.DateTimeField(null=True, blank=True)
    next_paused_base = models.PositiveIntegerField(default=0)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused (business seconds)"), default=0)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("ticket SLA")
        verbose_name_plural = _("ticket SLAs")
        indexes = [
            models.Index(fields=["first_response_warn_at"], name="service_sla_frw"),
            models.Index(fields=["first_response_due_at"], name="service_sla_frd"),
            models.Index(fields=["next_response_warn_at"], name="service_sla_nrw"),
            models.Index(fields=["next_response_due_at"], name="service_sla_nrd"),
            models.Index(fields=["resolution_warn_at"], name="service_sla_rw"),
            models.Index(fields=["resolution_due_at"], name="service_sla_rd"),
        ]

    def upcoming(self) -> list[tuple[str, dt.datetime]]:
        """The targets the ticket is still held to, with their due times
        (what the desk shows): the first response until it is given, the
        next response while the member waits, the resolution until solved.
        Empty while the clock is paused: the due times move when it runs."""
        if self.paused_since is not None:
            return []
        ticket = self.ticket
        found: list[tuple[str, dt.datetime]] = []
        if ticket.first_response_at is None and self.first_response_due_at is not None:
            found.append((str(SlaTarget.FIRST_RESPONSE.label), self.first_response_due_at))
        if self.next_response_due_at is not None:
            found.append((str(SlaTarget.NEXT_RESPONSE.label), self.next_response_due_at))
        if ticket.status not in DONE_STATUSES and self.resolution_due_at is not None:
            found.append((str(SlaTarget.RESOLUTION.label), self.resolution_due_at))
        return sorted(found, key=lambda pair: pair[1])

    @property
    def next_due(self) -> dt.datetime | None:
        """The earliest due time the ticket is still held to, if any."""
        upcoming = self.upcoming()
        return upcoming[0][1] if upcoming else None

    @property
    def reply_due(self) -> dt.datetime | None:
        """When the member's waiting message is due an answer (first or next
        response), if the clock runs."""
        if self.paused_since is not None:
            return None
        if self.ticket.first_response_at is None:
            return self.first_response_due_at
        return self.next_response_due_at


class SlaBreach(models.Model):
    """A target missed: ``breached_at`` is the moment it happened (the due
    time passed unanswered), ``recorded_at`` when Patron noticed."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_breaches")
    target = models.CharField(_("target"), max_length=20, choices=SlaTarget.choices)
    due_at = models.DateTimeField(_("due at"))
    breached_at = models.DateTimeField(_("breached at"))
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("SLA breach")
        verbose_name_plural = _("SLA breaches")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "due_at"], name="service_sla_breach_once"
            )
        ]


class SlaWarning(models.Model):
    """A console notification to one operator (the assignee or a lead of
    the ticket's team): this target is close to its due time."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_warnings")
    agent = models.ForeignKey(AgentProfile, on_delete=models.CASCADE, related_name="sla_warnings")
    target = models.CharField(_("target"), max_length=20, choices=SlaTarget.choices)
    due_at = models.DateTimeField(_("due at"))
    created_at = models.DateTimeField(_("created at"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SLA warning")
        verbose_name_plural = _("SLA warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "due_at", "agent"], name="service_sla_warning_once"
            )
        ]
        indexes = [models.Index(fields=["agent", "read_at"], name="service_sla_warning_inbox")]
