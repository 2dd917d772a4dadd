"""Messaging state. Member messages (outbox, templates, consent, caps) first;
webhook subscriptions and deliveries after them."""

from __future__ import annotations

# Webhooks
# (appended after the member messages so the two halves of issue 14 merge cleanly)
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from patron.core.models import Shop


class WebhookSubscription(models.Model):
    """Where a shop wants to hear about which event types. Bodies are signed
    with ``secret``; after a rotation ``previous_secret`` signs too until
    ``previous_valid_until`` (messaging.webhooks.signing)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_subscriptions")
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("event types"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.url


class WebhookDeliveryState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery", "pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "delivered")
    FAILED = "failed", pgettext_lazy("webhook delivery", "failed")


class WebhookDelivery(models.Model):
    """One event for one subscription: created in the cause's transaction,
    attempted until a 2xx or until the retry window closes."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event type"), max_length=100)
    event_id = models.CharField(_("event id"), max_length=100)
    payload = models.JSONField(_("payload"))
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=WebhookDeliveryState.choices,
        default=WebhookDeliveryState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    # When the current cycle of attempts began: creation, or the last resend.
    # Retries stop WEBHOOK_RETRY_WINDOW after it.
    cycle_started_at = models.DateTimeField()
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        permissions = [("resend_webhookdelivery", "Can resend webhook deliveries")]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_delivery_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class WebhookAttempt(models.Model):
    """One POST of a delivery and what came back (or why nothing did)."""

    EXCERPT_LIMIT = 2048

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(_("at"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_excerpt = models.TextField(_("response"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M:%S}"
