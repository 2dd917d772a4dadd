"""Messaging state. Member messages (outbox, templates, consent, caps) first;
webhook subscriptions and deliveries after them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from patron.core.models import Shop
from patron.members.models import Member


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    INAPP = "inapp", _("in-app")


class Category(models.TextChoices):
    TRANSACTIONAL = "transactional", _("transactional")
    SERVICE = "service", _("service")
    MARKETING = "marketing", _("marketing")


class MessageState(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    BOUNCED = "bounced", _("bounced")
    FAILED = "failed", _("failed")
    SUPPRESSED = "suppressed", _("suppressed")


class SuppressReason(models.TextChoices):
    CONSENT_REFUSED = "consent_refused", _("no consent")
    DAILY_CAP = "daily_cap", _("daily cap reached")
    WEEKLY_CAP = "weekly_cap", _("weekly cap reached")
    ADDRESS_UNUSABLE = "address_unusable", _("address unusable")
    NO_ADDRESS = "no_address", _("no address")
    TRIGGER_OFF = "trigger_off", _("trigger switched off")


class ConsentSource(models.TextChoices):
    PORTAL = "portal", _("member portal")
    SHOP_API = "shop_api", _("shop API")
    UNSUBSCRIBE_LINK = "unsubscribe_link", _("unsubscribe link")
    SMS_REPLY = "sms_reply", _("SMS reply")
    CONSOLE = "console", _("console")
    IMPORT = "import", _("import")


class MessagingSettings(models.Model):
    """A shop's messaging settings: its time zone for quiet hours, the
    marketing caps and what its SMS carry. A shop without a row uses the
    defaults (``messaging.selectors.settings_of``)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="messaging_settings")
    time_zone = models.CharField(_("time zone"), max_length=64, default=settings.TIME_ZONE)
    quiet_start = models.TimeField(_("quiet hours start"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours end"), default=dt.time(8, 0))
    marketing_daily_cap = models.PositiveSmallIntegerField(
        _("marketing messages per day and channel"), default=1
    )
    marketing_weekly_cap = models.PositiveSmallIntegerField(
        _("marketing messages per week and channel"), default=3
    )
    sms_sign_name = models.CharField(_("SMS signature"), max_length=20, blank=True)
    sms_opt_out_text = models.CharField(_("SMS opt-out text"), max_length=20, default="回T退订")
    unsubscribe_mailto = models.EmailField(_("unsubscribe mailbox"), blank=True)

    class Meta:
        verbose_name = _("messaging settings")
        verbose_name_plural = _("messaging settings")

    def __str__(self) -> str:
        return str(self.shop)


class KindSwitch(models.Model):
    """An operator switched a message kind (a trigger) off for a shop; no row: on."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("message trigger")
        verbose_name_plural = _("message triggers")
        constraints = [
            models.UniqueConstraint(fields=["shop", "kind"], name="kindswitch_unique_per_shop")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {'on' if self.enabled else 'off'}"


class Template(models.Model):
    """A shop's own wording of a message kind on one channel in one language,
    overriding the default the kind registered (``messaging.kinds``)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=64)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    sms_template_code = models.CharField(_("SMS template code"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind", "channel", "language"], name="template_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} {self.language}"


class Preference(models.Model):
    """A member's choice for one channel and category. No row: the default
    (``messaging.consent.DEFAULTS``): marketing off, the rest on. The one
    source of truth for consent; ``Member.consent_*`` mirror the marketing
    rows for the readers that predate messaging and are written only here."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    granted = models.BooleanField(_("granted"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("message preference")
        verbose_name_plural = _("message preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "channel", "category"], name="preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.channel}/{self.category} {self.granted}"


class ConsentChange(models.Model):
    """Append-only trail of every consent change, with where it came from (PIPL)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    granted = models.BooleanField(_("granted"))
    source = models.CharField(_("source"), max_length=20, choices=ConsentSource.choices)
    actor = models.CharField(_("actor"), max_length=150, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("consent change")
        verbose_name_plural = _("consent changes")
        indexes = [models.Index(fields=["member", "at"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.channel}/{self.category} {self.granted} ({self.source})"


class UnusableAddress(models.Model):
    """An e-mail address that hard-bounced or a phone number the gateway
    called invalid: later messages to it are suppressed."""

    PII_FIELDS = ("address",)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("unusable address")
        verbose_name_plural = _("unusable addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "channel", "address"], name="unusable_address_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}"


class Message(models.Model):
    """One message to one member on one channel: the outbox row and its
    delivery log. Created in the cause's transaction; the dispatcher sends it.

    ``member`` is empty for an e-mail answering an address that is no member
    (someone who wrote to the service desk): never marketing, so no consent
    applies; ``address`` is then the only recipient (``message_send_to_address``)."""

    PII_FIELDS = ("address",)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=64)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # What caused it ("event:123", "campaign:7", "tier_change:88"): with
    # member, kind and channel it makes a send idempotent.
    cause = models.CharField(_("cause"), max_length=128)
    language = models.CharField(_("language"), max_length=10)
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    sms_template_code = models.CharField(_("SMS template code"), max_length=64, blank=True)
    sms_params = models.JSONField(_("SMS parameters"), default=dict, blank=True)
    # Extra e-mail headers the sender sets (Message-ID, In-Reply-To,
    # References, Reply-To of a service reply, so the member's answer threads).
    headers = models.JSONField(_("e-mail headers"), default=dict, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=MessageState.choices, default=MessageState.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=20, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # A dispatcher's lease on the row while it sends (messaging.services.dispatch).
    claim = models.CharField(max_length=32, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    provider_id = models.CharField(_("provider id"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(
                fields=["cause", "member", "kind", "channel"], name="message_once_per_cause"
            ),
            # without a member (NULLs are distinct), the address makes it once
            models.UniqueConstraint(
                fields=["cause", "address", "kind", "channel"],
                condition=Q(member__isnull=True),
                name="message_once_per_cause_address",
            ),
        ]
        indexes = [
            # the dispatcher's due rows
            models.Index(
                fields=["next_attempt_at", "id"],
                name="message_due",
                condition=Q(state="queued"),
            ),
            # caps: a member's recent messages on a channel
            models.Index(fields=["member", "channel", "created_at"], name="message_member_recent"),
            # the inbox and its unread count
            models.Index(
                fields=["member", "read_at"],
                name="message_inbox",
                condition=Q(channel="inapp", state="delivered", deleted_at__isnull=True),
            ),
            models.Index(fields=["shop", "-id"], name="message_shop_log"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.member_id} ({self.channel}, {self.state})"


# Webhooks


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
