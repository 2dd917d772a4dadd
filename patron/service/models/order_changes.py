"""Order changes before shipment (改地址、改电话、改配送时间、取消): asked by
the member or an agent, sent to the shop by a signed webhook, answered by
the shop."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models.desk import AgentProfile, Ticket


class OrderChangeKind(models.TextChoices):
    ADDRESS = "address", _("delivery address")
    PHONE = "phone", _("phone number")
    DELIVERY_TIME = "delivery_time", _("delivery time")
    CANCEL = "cancel", _("cancel the order")


class OrderChangeState(models.TextChoices):
    REQUESTED = "requested", _("waiting for the shop")
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", _("refused")


class OrderChangeRequest(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="change_requests"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="order_changes"
    )
    agent = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("change"), max_length=20, choices=OrderChangeKind.choices)
    value = models.CharField(_("new value"), max_length=500, blank=True)
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=OrderChangeState.choices,
        default=OrderChangeState.REQUESTED,
    )
    shop_reason = models.CharField(_("shop's reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order change request")
        verbose_name_plural = _("order change requests")
        indexes = [models.Index(fields=["order", "state"], name="service_change_order")]
