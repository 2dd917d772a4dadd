from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop


class Event(models.Model):
    """One inbound event, stored once per (shop, event id) with its result.

    Only applied events are stored: a refused event leaves no row, so the shop
    can fix and resend it under the same id.
    """

    # Payloads carry phones and e-mails (member.registered, custom events):
    # shown masked, never filtered on, without the PII permission (core.admin).
    PII_FIELDS = ("payload", "result")

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT)
    external_id = models.CharField(_("event id"), max_length=100)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    member_external_id = models.CharField(_("member"), max_length=64, db_index=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"))
    payload_hash = models.CharField(max_length=64)
    payload = models.JSONField(_("payload"))
    result = models.JSONField(_("result"), default=dict)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], name="event_unique_per_shop")
        ]
        indexes = [models.Index(fields=["shop", "received_at"])]

    def __str__(self) -> str:
        return f"{self.type} {self.external_id}"
