"""Returns and exchanges (退换货): a member's request for lines and quantities
of a delivered order, its eligibility settings per shop and its steps."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models.desk import AgentProfile, Ticket

#: 七天无理由: the days after delivery a member may ask to return, by default.
DEFAULT_RETURN_WINDOW_DAYS = 7


class ReturnSettings(models.Model):
    """A shop's return policy: the window after delivery and the categories
    that cannot be returned (fresh food, custom-made goods, opened software)."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="return_settings")
    window_days = models.PositiveSmallIntegerField(
        _("return window in days"), default=DEFAULT_RETURN_WINDOW_DAYS
    )
    non_returnable_categories = models.JSONField(
        _("non-returnable categories"), default=list, blank=True
    )

    class Meta:
        verbose_name = _("return settings")
        verbose_name_plural = _("return settings")


class ReturnKind(models.TextChoices):
    RETURN = "return", _("return for a refund")
    EXCHANGE = "exchange", _("exchange")


class ReturnReason(models.TextChoices):
    NO_REASON = "no_reason", _("changed my mind (no reason)")
    DEFECTIVE = "defective", _("defective or damaged")
    WRONG_ITEM = "wrong_item", _("wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("not as described")
    SIZE = "size", _("wrong size")
    OTHER = "other", _("other")


class ReturnState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    SENT_BACK = "sent_back", _("goods sent back")
    RECEIVED = "received", _("goods received")
    REFUND_REQUESTED = "refund_requested", _("refund requested from the shop")
    REFUNDED = "refunded", _("refunded")
    REPLACEMENT_SHIPPED = "replacement_shipped", _("replacement shipped")
    CLOSED = "closed", _("closed")


class ReturnRequest(models.Model):
    """One request to return or exchange some lines of one order."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="return_requests")
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="return_requests"
    )
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="return_requests")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.PROTECT, related_name="return_requests"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReturnKind.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=ReturnReason.choices)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=ReturnState.choices, default=ReturnState.REQUESTED
    )
    refusal_reason = models.CharField(_("refusal reason"), max_length=500, blank=True)
    return_carrier = models.CharField(_("return carrier"), max_length=50, blank=True)
    return_tracking = models.CharField(_("return tracking number"), max_length=64, blank=True)
    replacement_carrier = models.CharField(_("replacement carrier"), max_length=50, blank=True)
    replacement_tracking = models.CharField(
        _("replacement tracking number"), max_length=64, blank=True
    )
    refund_id = models.CharField(
        _("refund id"),
        max_length=64,
        blank=True,
        help_text=_("the refund id the shop is asked to use in its order.refunded event"),
    )
    refund_amount = models.BigIntegerField(_("refunded amount"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        indexes = [
            models.Index(fields=["shop", "state", "-created_at"], name="service_return_desk"),
            models.Index(fields=["order", "state"], name="service_return_order"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"R{self.pk}"


class ReturnLine(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey("orders.OrderLine", on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"))

    class Meta:
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.UniqueConstraint(fields=["request", "line"], name="service_return_line_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="service_return_line_quantity"
            ),
        ]


class ReturnPhoto(models.Model):
    """A photo of the goods, stored through Django's storage API."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(_("file"), upload_to="service/returns/%Y/%m/")
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"))


class ReturnStep(models.Model):
    """The history of a request: one row per state it entered."""

    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="steps")
    from_state = models.CharField(max_length=20, choices=ReturnState.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=ReturnState.choices)
    agent = models.ForeignKey(
        AgentProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
