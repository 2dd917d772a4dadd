"""Coupon templates, coupons, checkout holds and flash sales.

Money is integer fen; counters (issued, budget, claimed) move only through
conditional updates in ``services`` and are guarded by check constraints.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member


class CouponType(models.TextChoices):
    FIXED = "fixed", _("fixed amount off")
    PERCENT = "percent", _("percentage off")
    THRESHOLD = "threshold", _("threshold discount (满减)")
    FREE_SHIPPING = "free_shipping", _("free shipping")


class ValidityKind(models.TextChoices):
    FIXED_DATES = "fixed_dates", _("fixed dates")
    DAYS_AFTER_ISSUE = "days_after_issue", _("days after issue")


class CouponSource(models.TextChoices):
    CLAIM = "claim", _("claimed by the member")
    PUBLIC_CODE = "public_code", _("public code")
    POINTS = "points", _("points redemption")
    CAMPAIGN = "campaign", _("campaign")
    BIRTHDAY = "birthday", _("birthday")
    FLASH_SALE = "flash_sale", _("flash sale")
    OPERATOR = "operator", _("issued by an operator")


class CouponTemplate(models.Model):
    """The rule behind coupons: what they take off, on what, for whom, until when.

    A *condition* (``threshold`` over the scoped lines, tier, new member), a
    *benefit* (``type`` with ``amount`` / ``percent`` / ``max_discount``) over a
    *range* (``skus`` and ``categories``; both empty means the whole cart).
    """

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="coupon_templates")
    code = models.SlugField(
        _("code"), max_length=64, help_text=_("how campaigns and tier benefits name it")
    )
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=CouponType.choices)
    amount = models.BigIntegerField(
        _("amount off (fen)"), default=0, help_text=_("fixed and threshold coupons")
    )
    percent = models.PositiveSmallIntegerField(
        _("percent off"), default=0, help_text=_("percentage coupons: 1-99 (15 = 15% off = 8.5折)")
    )
    max_discount = models.BigIntegerField(
        _("cap (fen)"), default=0, help_text=_("largest discount one coupon gives; 0 = no cap")
    )
    threshold = models.BigIntegerField(
        _("minimum spend (fen)"),
        default=0,
        help_text=_("spend on the eligible lines needed; the step of a repeating 满减"),
    )
    repeating = models.BooleanField(
        _("repeating"), default=False, help_text=_("每满: take amount off for every threshold")
    )
    skus = models.JSONField(_("SKUs"), default=list, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    tier_codes = models.JSONField(
        _("tiers"), default=list, blank=True, help_text=_("empty: every tier")
    )
    new_members_only = models.BooleanField(_("new members only"), default=False)
    validity_kind = models.CharField(
        _("validity"),
        max_length=20,
        choices=ValidityKind.choices,
        default=ValidityKind.DAYS_AFTER_ISSUE,
    )
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveIntegerField(_("valid days after issue"), default=30)
    per_member_limit = models.PositiveIntegerField(
        _("per member"), default=1, help_text=_("0 = no limit")
    )
    total_limit = models.PositiveIntegerField(
        _("total issued"), default=0, help_text=_("0 = no limit")
    )
    issued_count = models.PositiveIntegerField(_("issued"), default=0)
    used_count = models.PositiveIntegerField(_("used"), default=0)
    budget = models.BigIntegerField(
        _("budget (fen)"), default=0, help_text=_("total discount it may give; 0 = no budget")
    )
    budget_used = models.BigIntegerField(_("budget used (fen)"), default=0)
    stacking_group = models.CharField(
        _("stacking group"),
        max_length=30,
        default="order",
        help_text=_("at most one coupon per group in an order; free shipping uses 'shipping'"),
    )
    exclusive = models.BooleanField(
        _("exclusive"), default=False, help_text=_("cannot be combined with any other coupon")
    )
    claimable = models.BooleanField(_("members may claim it"), default=False)
    public_code = models.CharField(
        _("public code"), max_length=20, null=True, blank=True, unique=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        permissions = [("assign_public_code", "Can give coupon templates a new public code")]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="coupon_template_code_unique"),
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(max_discount__gte=0)
                & Q(threshold__gte=0)
                & Q(percent__lte=100),
                name="coupon_template_amounts_valid",
            ),
            models.CheckConstraint(
                condition=Q(total_limit=0) | Q(issued_count__lte=F("total_limit")),
                name="coupon_template_issued_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(budget=0) | Q(budget_used__lte=F("budget")),
                name="coupon_template_budget_within",
            ),
            models.CheckConstraint(
                condition=Q(budget_used__gte=0), name="coupon_template_budget_used_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", _("available")
    HELD = "held", _("held for an order")
    USED = "used", _("used")
    REVOKED = "revoked", _("revoked")


class Coupon(models.Model):
    """One issued coupon, owned by one member. Its code is unique and unguessable."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT)
    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="coupons")
    code = models.CharField(_("code"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=CouponStatus.choices, default=CouponStatus.AVAILABLE
    )
    source = models.CharField(_("source"), max_length=20, choices=CouponSource.choices)
    source_ref = models.CharField(_("source reference"), max_length=100, blank=True)
    issued_at = models.DateTimeField(_("issued at"))
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    hold = models.ForeignKey(
        "CheckoutHold", null=True, blank=True, on_delete=models.SET_NULL, related_name="coupons"
    )
    discount_amount = models.BigIntegerField(_("discount given (fen)"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_order_id = models.CharField(_("used on order"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        permissions = [("revoke_coupon", "Can revoke unused coupons")]
        indexes = [
            models.Index(fields=["member", "status"]),
            models.Index(fields=["template", "member"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="held") | Q(hold__isnull=False),
                name="coupon_held_has_hold",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class HoldStatus(models.TextChoices):
    HELD = "held", _("held")
    CAPTURED = "captured", _("captured")
    RELEASED = "released", _("released")
    EXPIRED = "expired", _("expired")


class CheckoutHold(models.Model):
    """Coupons and points reserved for one shop order until paid, cancelled or timed out.

    ``lines`` records, per order line, what the member price, the coupons and
    the points took off, so a partial refund returns exactly that line's points.
    """

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT)
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="checkout_holds")
    order_id = models.CharField(_("order id"), max_length=64)
    status = models.CharField(
        _("status"), max_length=10, choices=HoldStatus.choices, default=HoldStatus.HELD
    )
    request_hash = models.CharField(max_length=64)
    items_amount = models.BigIntegerField(_("items"))
    member_discount = models.BigIntegerField(_("member price discount"))
    coupon_discount = models.BigIntegerField(_("coupon discount"))
    shipping_fee = models.BigIntegerField(_("shipping fee"))
    shipping_discount = models.BigIntegerField(_("shipping discount"))
    points = models.BigIntegerField(_("points held"))
    points_value = models.BigIntegerField(_("points value (fen)"))
    points_returned = models.BigIntegerField(_("points returned"), default=0)
    total = models.BigIntegerField(_("to pay"))
    points_ref = models.CharField(_("points hold reference"), max_length=64, blank=True)
    answer = models.JSONField(_("evaluation"), default=dict)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    captured_at = models.DateTimeField(_("captured at"), null=True, blank=True)
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        verbose_name = _("checkout hold")
        verbose_name_plural = _("checkout holds")
        constraints = [
            # One live hold per order; a released or expired one may be followed by a new one.
            models.UniqueConstraint(
                fields=["shop", "order_id"],
                condition=Q(status__in=["held", "captured"]),
                name="checkout_hold_one_live_per_order",
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0)
                & Q(points__gte=0)
                & Q(points_returned__gte=0)
                & Q(points_returned__lte=F("points")),
                name="checkout_hold_amounts_valid",
            ),
        ]
        indexes = [models.Index(fields=["shop", "order_id"])]

    def __str__(self) -> str:
        return f"{self.order_id} ({self.status})"


class CheckoutHoldLine(models.Model):
    hold = models.ForeignKey(CheckoutHold, on_delete=models.CASCADE, related_name="lines")
    line_id = models.CharField(max_length=64)
    sku = models.CharField(max_length=64)
    quantity = models.PositiveIntegerField()
    amount = models.BigIntegerField()
    member_discount = models.BigIntegerField()
    coupon_discount = models.BigIntegerField()
    points = models.BigIntegerField()
    points_value = models.BigIntegerField()
    points_returned = models.BigIntegerField(default=0)
    pay_amount = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hold", "line_id"], name="checkout_hold_line_unique"),
            models.CheckConstraint(
                condition=Q(pay_amount__gte=0)
                & Q(points_returned__gte=0)
                & Q(points_returned__lte=F("points")),
                name="checkout_hold_line_valid",
            ),
        ]


class FlashSale(models.Model):
    """A limited quantity of coupons offered in a short window (限时抢购)."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="flash_sales")
    name = models.CharField(_("name"), max_length=100)
    template = models.ForeignKey(
        CouponTemplate, on_delete=models.PROTECT, related_name="flash_sales"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    claimed_count = models.PositiveIntegerField(_("claimed"), default=0)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    tier_codes = models.JSONField(_("tiers"), default=list, blank=True)
    per_member_limit = models.PositiveIntegerField(_("per member"), default=1)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        constraints = [
            models.CheckConstraint(
                condition=Q(claimed_count__lte=F("quantity")), name="flash_sale_not_oversold"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_window_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FlashSaleClaim(models.Model):
    """One successful claim; ``seq`` (1..limit) per member makes the limit a unique index."""

    sale = models.ForeignKey(FlashSale, on_delete=models.PROTECT, related_name="claims")
    member = models.ForeignKey(Member, on_delete=models.PROTECT)
    seq = models.PositiveIntegerField()
    coupon = models.OneToOneField(Coupon, on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sale", "member", "seq"], name="flash_sale_claim_seq_unique"
            )
        ]
