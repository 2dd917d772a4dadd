from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


class OrderStatus(models.TextChoices):
    CREATED = "created", _("created")
    PAID = "paid", _("paid")
    SHIPPED = "shipped", _("shipped")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    PARTIALLY_REFUNDED = "partially_refunded", _("partially refunded")
    REFUNDED = "refunded", _("refunded")


class Order(models.Model):
    """The mirror of one shop order. Money in integer minor units (fen)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(_("order id"), max_length=64)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.CREATED
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    items_amount = models.BigIntegerField(_("items amount"), default=0)
    shipping_fee = models.BigIntegerField(_("shipping fee"), default=0)
    discount_amount = models.BigIntegerField(_("discounts"), default=0)
    points_used = models.BigIntegerField(_("points used"), default=0)
    points_amount = models.BigIntegerField(_("paid with points"), default=0)
    coupon_codes = models.JSONField(_("coupon codes"), default=list, blank=True)
    paid_amount = models.BigIntegerField(_("paid amount"), default=0)
    refunded_amount = models.BigIntegerField(_("refunded amount"), default=0)
    placed_at = models.DateTimeField(_("placed at"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(fields=["shop", "external_id"], name="order_unique_per_shop"),
            models.CheckConstraint(
                condition=models.Q(paid_amount__gte=0)
                & models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("paid_amount")),
                name="order_amounts_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "paid_at"]),
            models.Index(fields=["shop", "paid_at"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(_("line id"), max_length=64)
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.BigIntegerField(_("unit price"))
    # What the member actually paid for the line: its share of the order after
    # discounts and points, excluding shipping (allocated pro rata, exactly).
    paid_amount = models.BigIntegerField(_("paid amount"), default=0)
    refunded_quantity = models.PositiveIntegerField(_("refunded quantity"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.UniqueConstraint(fields=["order", "line_id"], name="order_line_unique"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0)
                & models.Q(unit_price__gte=0)
                & models.Q(refunded_quantity__lte=models.F("quantity")),
                name="order_line_quantities_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"

    @property
    def line_amount(self) -> int:
        return self.quantity * self.unit_price


class OrderStatusChange(models.Model):
    """The status history of an order, one row per transition."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    at = models.DateTimeField()
    event_id = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Refund(models.Model):
    """One refund of an order: some lines and quantities, or the whole order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refunds")
    external_id = models.CharField(max_length=64)
    amount = models.BigIntegerField()
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "external_id"], name="refund_unique_per_order")
        ]


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.PositiveIntegerField()
    amount = models.BigIntegerField()


class Shipment(models.Model):
    """One parcel of an order: its carrier and tracking number (物流)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=64)
    shipped_at = models.DateTimeField(_("shipped at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "tracking_number"], name="shipment_unique_per_order"
            )
        ]


class ShipmentCheckpoint(models.Model):
    """One scan of a parcel; the same scan sent again is kept once."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="checkpoints")
    at = models.DateTimeField(_("time"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=200)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "at", "description"], name="checkpoint_unique"
            )
        ]
        indexes = [models.Index(fields=["shipment", "at"], name="checkpoint_timeline")]
