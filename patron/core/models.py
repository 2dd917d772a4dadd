from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core import config_cache
from patron.core.roles import ROLE_CHOICES


def new_config_token() -> str:
    return config_cache.new_token()


class Shop(models.Model):
    """A shop plugged into Patron. Members, orders and API keys belong to one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Replaced whenever the configuration the event path caches changes
    # (patron.core.config_cache); never shown, never reused.
    config_token = models.CharField(max_length=32, default=new_config_token, editable=False)

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")

    def __str__(self) -> str:
        return self.name


class ApiScope(models.TextChoices):
    MEMBERS_READ = "members:read", _("read members")
    MEMBERS_WRITE = "members:write", _("create and update members")
    EVENTS_WRITE = "events:write", _("send events")
    POINTS_READ = "points:read", _("read points")
    POINTS_WRITE = "points:write", _("change points")
    CHECKOUT = "checkout", _("checkout evaluation and reservation")
    REWARDS = "rewards", _("rewards and redemptions")
    WEBHOOKS = "webhooks", _("webhook subscriptions and their delivery log")
    SERVICE = "service", _("service desk tickets and messages")


class ApiKey(models.Model):
    """A per-shop API key. Only a SHA-256 hash of the secret is stored."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        permissions = [("revoke_apikey", "Can revoke API keys")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class IdempotencyRecord(models.Model):
    """The first answer to a state-changing request, replayed for its retries."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=0)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="idempotency_unique_per_shop")
        ]


class AuditLog(models.Model):
    """Who changed what, when, with the state before and after. Append-only."""

    # Snapshots keep phones and e-mails masked (services.snapshot), but other
    # keys may still be personal: never filtered on without the PII permission.
    PII_FIELDS = ("before", "after")

    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, db_index=True)
    object_id = models.CharField(_("object id"), max_length=100, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    # The shop the changed object belongs to (None: not of one shop, e.g. a
    # user account); operators read the entries of their current shop only.
    shop = models.ForeignKey(
        Shop,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shop"),
    )

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class ScheduledRun(models.Model):
    """When each periodic job was last enqueued (see ``patron.schedule``)."""

    name = models.CharField(max_length=100, unique=True)
    last_enqueued_at = models.DateTimeField()


class OperatorMembership(models.Model):
    """An operator's role in one shop. An operator may belong to several shops,
    with a different role in each; their permissions are those of the role in
    the shop they are working on (``patron.core.permissions``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="shop_memberships",
        verbose_name=_("operator"),
    )
    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("shop")
    )
    role = models.CharField(_("role"), max_length=30, choices=ROLE_CHOICES)

    class Meta:
        verbose_name = _("operator membership")
        verbose_name_plural = _("operator memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "shop"], name="operator_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}: {self.role}"
