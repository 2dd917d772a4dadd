"""Tiers: definitions and benefits, the growth-value ledger and its monthly
rollup, each member's tier state, its history, overrides, gifts and statistics.

A member without a ``MemberTier`` row is in the shop's lowest active tier; a
row appears with the first upgrade (or override), so a million members who
never qualify cost nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.orders.models import Order


class QualifyingMeasure(models.TextChoices):
    GROWTH = "growth", _("growth value")
    LIFETIME_POINTS = "lifetime_points", _("lifetime points earned")


class Period(models.TextChoices):
    MONTH = "month", _("calendar month")
    QUARTER = "quarter", _("calendar quarter")


class DowngradeMode(models.TextChoices):
    ONE_TIER = "one_tier", _("drop one tier")
    TO_SUPPORTED = "to_supported", _("drop to the tier the value supports")


class TierProgram(models.Model):
    """A shop's tier programme settings: weights, window, period, grace."""

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="tier_program")
    qualifying_measure = models.CharField(
        _("qualifying measure"),
        max_length=20,
        choices=QualifyingMeasure.choices,
        default=QualifyingMeasure.GROWTH,
    )
    growth_per_yuan = models.PositiveIntegerField(_("growth per yuan paid"), default=1)
    growth_includes_shipping = models.BooleanField(
        _("shipping counts towards growth value"),
        default=False,
        help_text=_(
            "Off: growth per yuan counts what was paid for the goods, the same base "
            "order points are earned on. On: the shipping fee paid counts too."
        ),
    )
    growth_per_order = models.PositiveIntegerField(_("growth per order"), default=10)
    growth_per_review = models.PositiveIntegerField(_("growth per review"), default=5)
    growth_per_activity = models.PositiveIntegerField(_("growth per activity"), default=2)
    window_months = models.PositiveSmallIntegerField(_("rolling window (months)"), default=12)
    period = models.CharField(
        _("evaluation period"), max_length=10, choices=Period.choices, default=Period.MONTH
    )
    grace_periods = models.PositiveSmallIntegerField(
        _("grace periods before a downgrade"), default=1
    )
    downgrade_mode = models.CharField(
        _("downgrade"), max_length=20, choices=DowngradeMode.choices, default=DowngradeMode.ONE_TIER
    )
    birthday_days_before = models.PositiveSmallIntegerField(
        _("birthday gift: days early"), default=0
    )
    birthday_days_after = models.PositiveSmallIntegerField(
        _("birthday gift: days late (catch-up)"), default=7
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("tier programme")
        verbose_name_plural = _("tier programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_months__gte=1) & Q(window_months__lte=120),
                name="tierprogram_window_valid",
            ),
            models.CheckConstraint(
                condition=Q(birthday_days_before__lte=31) & Q(birthday_days_after__lte=31),
                name="tierprogram_birthday_window_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop} tier programme"


class Tier(models.Model):
    """One tier of a shop. Higher ``rank`` is better; thresholds rise with rank."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(_("name (简体中文)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"))
    entry_threshold = models.BigIntegerField(_("entry threshold"), default=0)
    retention_threshold = models.BigIntegerField(_("retention threshold"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        permissions = [("retire_tier", "Can retire a tier (its members move down)")]
        ordering = ["shop", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "code"], name="tier_code_unique_per_shop"),
            models.CheckConstraint(
                condition=Q(retention_threshold__gte=0)
                & Q(retention_threshold__lte=F("entry_threshold")),
                name="tier_thresholds_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} / {self.name_en}"

    def display_name(self, language: str = "zh-hans") -> str:
        return self.name_en if language.startswith("en") else self.name


class TierBenefits(models.Model):
    """What a tier grants, as typed values the shop acts on."""

    tier = models.OneToOneField(
        Tier, on_delete=models.CASCADE, primary_key=True, related_name="benefits"
    )
    earn_multiplier_percent = models.PositiveIntegerField(
        _("points earn multiplier (%)"), default=100
    )
    discount_bp = models.PositiveIntegerField(_("member discount (basis points)"), default=0)
    free_shipping_threshold = models.BigIntegerField(
        _("free shipping from (fen)"),
        null=True,
        blank=True,
        help_text=_("empty: no free shipping; 0: always free"),
    )
    priority_shipping = models.BooleanField(_("priority shipping"), default=False)
    birthday_gift_points = models.BigIntegerField(_("birthday gift points"), default=0)
    birthday_coupon_template = models.CharField(
        _("birthday coupon template code"), max_length=64, blank=True
    )
    free_trial = models.BooleanField(_("free trial eligibility"), default=False)
    member_only_events = models.BooleanField(_("member-only events"), default=False)
    flash_sale_access = models.BooleanField(_("member flash sales"), default=False)
    dedicated_service = models.BooleanField(_("dedicated customer service"), default=False)
    monthly_coupon_template = models.CharField(
        _("monthly coupon pack template code"), max_length=64, blank=True
    )
    monthly_coupon_count = models.PositiveSmallIntegerField(_("monthly coupons"), default=0)

    class Meta:
        verbose_name = _("tier benefits")
        verbose_name_plural = _("tier benefits")
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_bp__lte=10000)
                & Q(birthday_gift_points__gte=0)
                & (Q(free_shipping_threshold__isnull=True) | Q(free_shipping_threshold__gte=0)),
                name="tierbenefits_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier} benefits"


# The one list of benefit fields: what a tier grants, in the model's order.
# selectors.Benefits and the API's BenefitsOut carry exactly these (checked by
# tests/test_benefit_fields.py); selectors.benefits_of copies them by this list.
BENEFIT_FIELDS: tuple[str, ...] = tuple(
    f.name for f in TierBenefits._meta.concrete_fields if f.name != "tier"
)


class GrowthKind(models.TextChoices):
    SPEND = "spend", _("spend")
    SPEND_REVERSAL = "spend_reversal", _("spend refunded")
    ORDER = "order", _("order")
    ORDER_REVERSAL = "order_reversal", _("order refunded or cancelled")
    REVIEW = "review", _("review")
    ACTIVITY = "activity", _("activity")


class GrowthEntry(models.Model):
    """Append-only: one change to a member's growth value and why.

    ``month`` is the calendar month the value counts in; a refund counts in its
    order's month, so an order's net contribution leaves the window at once.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="growth_entries")
    kind = models.CharField(_("kind"), max_length=20, choices=GrowthKind.choices)
    value = models.BigIntegerField(_("growth value"))
    month = models.DateField(_("counts in month"))
    occurred_at = models.DateTimeField(_("occurred at"))
    basis = models.BigIntegerField(_("basis (fen or count)"), default=0)
    weight = models.PositiveIntegerField(_("weight"), default=0)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE)
    event_id = models.CharField(_("event id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("growth entry")
        verbose_name_plural = _("growth entries")
        indexes = [models.Index(fields=["member", "month"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.value:+d}"


class GrowthMonth(models.Model):
    """Rollup: a member's growth per calendar month, kept with each entry.

    The period job sums at most ``window_months`` rows per member instead of
    every order and activity.
    """

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.DateField()
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="growthmonth_unique"),
        ]
        indexes = [models.Index(fields=["shop", "month"])]


class OverrideStatus(models.TextChoices):
    PENDING = "pending", _("awaiting approval")
    APPROVED = "approved", _("in force")
    REJECTED = "rejected", _("rejected")
    REMOVED = "removed", _("removed")


class TierOverride(models.Model):
    """A manual tier, requested by one operator and approved by another."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_overrides")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=OverrideStatus.choices, default=OverrideStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removal_reason = models.TextField(_("removal reason"), blank=True)

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["-requested_at", "-id"]
        permissions = [("approve_tieroverride", "Can approve, reject and remove tier overrides")]
        constraints = [
            models.UniqueConstraint(
                fields=["member"],
                condition=Q(status__in=["pending", "approved"]),
                name="tieroverride_one_open_per_member",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} → {self.tier.code} ({self.status})"


class MemberTier(models.Model):
    """A member's current tier and the dates that protect or threaten it."""

    member = models.OneToOneField(
        Member, on_delete=models.CASCADE, primary_key=True, related_name="tier_state"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    since = models.DateTimeField(_("in this tier since"))
    # Not downgraded by an evaluation dated before this day (end of the period
    # after the upgrade).
    protected_until = models.DateField(_("protected until"), null=True, blank=True)
    # Below the retention threshold at an evaluation: downgraded by the first
    # evaluation on or after this day unless the value recovers.
    grace_until = models.DateField(_("grace until"), null=True, blank=True)
    override = models.ForeignKey(
        TierOverride, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")
        indexes = [models.Index(fields=["shop", "tier"])]

    def __str__(self) -> str:
        return f"{self.member_id} {self.tier_id}"


class TierChangeCause(models.TextChoices):
    EVENT = "event", _("event")
    PERIOD_EVALUATION = "period_evaluation", _("period evaluation")
    OVERRIDE = "override", _("manual override")
    OVERRIDE_REMOVED = "override_removed", _("override removed")
    TIER_RETIRED = "tier_retired", _("tier retired")
    BACKFILL = "backfill", _("computed from history")
    UPGRADE_REVERSED = "upgrade_reversed", _("upgrade reversed by a refund or cancellation")


class TierChange(models.Model):
    """Append-only history: every tier change with its cause and numbers."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    direction = models.SmallIntegerField(_("direction"))  # +1 up, -1 down, 0 same rank
    at = models.DateTimeField(_("at"))
    cause = models.CharField(_("cause"), max_length=20, choices=TierChangeCause.choices)
    measure = models.CharField(_("measure"), max_length=20, choices=QualifyingMeasure.choices)
    value = models.BigIntegerField(_("qualifying value"))
    threshold = models.BigIntegerField(_("threshold compared"))
    event_id = models.CharField(_("event id"), max_length=100, blank=True)
    run = models.ForeignKey(
        "TierJobRun", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    override = models.ForeignKey(
        TierOverride, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["member", "at"]),
            models.Index(fields=["shop", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_tier_id} → {self.to_tier_id} ({self.cause})"


class TierJobKind(models.TextChoices):
    PERIOD_EVALUATION = "period_evaluation", _("end-of-period evaluation")
    BIRTHDAY_GIFTS = "birthday_gifts", _("birthday gifts")
    STATS = "stats", _("statistics")
    BACKFILL = "backfill", _("tiers computed from history")


class TierJobRun(models.Model):
    """One run of a tier job for one shop and one key date; at most once each."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=TierJobKind.choices)
    key_date = models.DateField(_("period end or day"))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("tier job run")
        verbose_name_plural = _("tier job runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "kind", "key_date"], name="tierjobrun_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key_date}"


class GiftState(models.TextChoices):
    RECORDED = "recorded", _("recorded, not yet delivered")
    CREDITED = "credited", _("points credited")
    COUPON_PENDING = "coupon_pending", _("coupon to be issued")
    COUPON_ISSUED = "coupon_issued", _("coupon issued")


class TierGift(models.Model):
    """A tier gift granted to a member; the unique key makes it once a year."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tier_gifts")
    kind = models.CharField(max_length=20, default="birthday")
    year = models.PositiveSmallIntegerField()
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    points = models.BigIntegerField(default=0)
    coupon_template = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=20, choices=GiftState.choices)
    granted_at = models.DateTimeField()
    reference = models.CharField(_("ledger or coupon reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("tier gift")
        verbose_name_plural = _("tier gifts")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind", "year"], name="tiergift_once_a_year"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year} {self.member_id}"


class TierStats(models.Model):
    """Per-tier figures for one period, refreshed by the stats job."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    period_end = models.DateField()
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")
    members = models.PositiveIntegerField(default=0)
    buyers = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    revenue = models.BigIntegerField(_("revenue (fen)"), default=0)
    average_order_value = models.BigIntegerField(_("average order value (fen)"), default=0)
    # Orders per member in the period, times 100 (integer, no floats).
    orders_per_member_x100 = models.PositiveIntegerField(default=0)
    revenue_share_bp = models.PositiveIntegerField(_("share of revenue (bp)"), default=0)
    top_categories = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("tier statistics")
        verbose_name_plural = _("tier statistics")
        ordering = ["-period_end", "tier__rank"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "period_end", "tier"], name="tierstats_unique"),
        ]


class TierMigration(models.Model):
    """How many members moved from one tier to another within a period."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    period_end = models.DateField()
    from_tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")
    members = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("tier migration")
        verbose_name_plural = _("tier migrations")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "period_end", "from_tier", "to_tier"], name="tiermigration_unique"
            ),
        ]
