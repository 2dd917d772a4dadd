"""Forms of the configuration pages: coupon templates and the earning-rule preview."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.core.apps import installed
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.core.validation import TextForm


def yuan_to_fen(value: Decimal | None) -> int:
    """¥ with at most two decimals to integer fen, exactly (no floats)."""
    if value is None:
        return 0
    return int(value * 100)


class CouponTemplateForm(TextForm):
    TYPE_CHOICES = [
        ("fixed", gettext_lazy("Fixed amount off")),
        ("threshold", gettext_lazy("Threshold discount (spend X, get Y off)")),
        ("percent", gettext_lazy("Percentage off")),
        ("free_shipping", gettext_lazy("Free shipping")),
    ]
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=64,
        help_text=gettext_lazy("Letters, digits and dashes; how campaigns and tiers name it."),
    )
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=300, required=False)
    type = forms.ChoiceField(label=gettext_lazy("Type"), choices=TYPE_CHOICES)
    amount = forms.DecimalField(
        label=gettext_lazy("Amount off (¥)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    threshold = forms.DecimalField(
        label=gettext_lazy("Minimum spend (¥)"),
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        required=False,
    )
    percent = forms.IntegerField(
        label=gettext_lazy("Percent off"), min_value=1, max_value=99, required=False
    )
    valid_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days after issue)"), min_value=1, max_value=3650, initial=30
    )
    per_member_limit = forms.IntegerField(
        label=gettext_lazy("Per member (0 = no limit)"), min_value=0, initial=1
    )
    total_limit = forms.IntegerField(
        label=gettext_lazy("Total to issue (0 = no limit)"), min_value=0, initial=0
    )
    claimable = forms.BooleanField(
        label=gettext_lazy("Members may claim it in the claim centre"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("type")
        if kind in {"fixed", "threshold"} and not data.get("amount"):
            self.add_error("amount", _("Enter the amount off."))
        if kind == "threshold" and not data.get("threshold"):
            self.add_error("threshold", _("Enter the minimum spend."))
        if kind == "percent" and not data.get("percent"):
            self.add_error("percent", _("Enter the percentage off (1–99)."))
        if (
            kind == "threshold"
            and data.get("amount")
            and data.get("threshold")
            and data["amount"] >= data["threshold"]
        ):
            self.add_error("amount", _("The amount off must be below the minimum spend."))
        return data


def coupon_template_create(request: HttpRequest, form: CouponTemplateForm) -> HttpResponse | None:
    from patron.console import once, services
    from patron.console.auth import shop_id

    data = form.cleaned_data
    shop = Shop.objects.get(pk=shop_id(request))

    def handler() -> tuple[int, dict[str, Any]]:
        template = services.coupon_template_create(
            shop=shop,
            actor=request.user,  # type: ignore[arg-type]
            fields={
                "code": data["code"],
                "name": data["name"],
                "description": data["description"],
                "type": data["type"],
                "amount": yuan_to_fen(data.get("amount")),
                "threshold": yuan_to_fen(data.get("threshold")),
                "percent": data.get("percent") or 0,
                "valid_days": data["valid_days"],
                "per_member_limit": data["per_member_limit"],
                "total_limit": data["total_limit"],
                "claimable": data["claimable"],
            },
        )
        return 201, {"id": template.pk, "name": template.name}

    try:
        _status, body, _replayed = once.form_once(request, shop=shop, handler=handler)
    except PatronError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        return None
    messages.success(request, _("Coupon template “%(name)s” created.") % {"name": body["name"]})
    return redirect("console:coupon_templates")


class RulePreviewForm(TextForm):
    condition = forms.CharField(
        label=gettext_lazy("Condition (CEL expression; empty = always)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=gettext_lazy('For example: order.paid_amount >= 20000 && member.tier == "gold"'),
    )
    points_per_yuan = forms.IntegerField(
        label=gettext_lazy("Points per ¥1"), min_value=0, max_value=1000, initial=1
    )
    min_order_amount = forms.DecimalField(
        label=gettext_lazy("Minimum paid amount (¥)"),
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=12,
        initial=0,
    )
    sample_amount = forms.DecimalField(
        label=gettext_lazy("Sample order: paid (¥)"),
        min_value=Decimal("0"),
        decimal_places=2,
        max_digits=12,
        initial=Decimal("259.00"),
    )
    sample_category = forms.CharField(
        label=gettext_lazy("Sample order: category"), max_length=100, initial="tea", required=False
    )
    sample_sku = forms.CharField(
        label=gettext_lazy("Sample order: SKU"), max_length=64, initial="TEA-01", required=False
    )
    sample_tier = forms.CharField(
        label=gettext_lazy("Sample member: tier code"), max_length=32, initial="", required=False
    )

    def clean_condition(self) -> str:
        from patron.rules import cel

        text = str(self.cleaned_data.get("condition") or "")
        problem = cel.check(text, "order.paid")  # the preview is of an order
        if problem is not None:
            raise forms.ValidationError(
                _("Line %(line)s, column %(column)s: %(message)s")
                % {"line": problem.line, "column": problem.column, "message": problem.message}
            )
        return text


def rule_preview(data: dict[str, Any]) -> dict[str, Any]:
    """Points the rule would give the sample order (nothing is saved)."""
    from patron.core import clock
    from patron.points import earning_rules
    from patron.rules import cel
    from patron.rules.models import EarningRuleVersion

    paid = yuan_to_fen(data["sample_amount"])
    version = EarningRuleVersion(
        condition=data["condition"],
        points_per_yuan=data["points_per_yuan"],
        min_order_amount=yuan_to_fen(data["min_order_amount"]),
    )
    facts = earning_rules.OrderFacts(
        order_id="PREVIEW",
        lines=[
            earning_rules.LineFacts(
                line_id="1",
                sku=data["sample_sku"] or "SKU",
                category=data["sample_category"] or "",
                quantity=1,
                unit_price=paid,
                paid_amount=paid,
            )
        ],
        paid_amount=paid,
        shipping_fee=0,
        items_amount=paid,
        points_used=0,
        coupon_codes=[],
        paid_at=clock.now(),
    )

    activation = earning_rules.order_activation(facts, None)
    activation["member"]["tier"] = data["sample_tier"]
    if paid < version.min_order_amount:
        return {"points": 0, "why": "below_minimum"}
    if not cel.evaluate(0, version.condition, activation):
        return {"points": 0, "why": "condition_not_met"}
    earned, _skipped = earning_rules.order_earnings(
        facts=facts,
        member=None,
        versions=[
            EarningRuleVersion(
                condition="",
                points_per_yuan=version.points_per_yuan,
                min_order_amount=version.min_order_amount,
            )
        ],
    )
    points = earned[0].points if earned else 0
    return {"points": points, "why": "" if points else "zero_points"}


def birthday_granted_twice(shop_id: int) -> list[str]:
    """Shops where an active birthday earning rule and a tier's birthday gift
    points are both configured: each grants on its own, so a member gets both."""
    if not installed("tiers"):
        return []
    from patron.rules.models import EarningRule, Trigger
    from patron.tiers.models import Tier

    with_rule = EarningRule.objects.filter(
        shop_id=shop_id, is_active=True, trigger=Trigger.BIRTHDAY
    ).values("shop_id")
    tiers = Tier.objects.filter(
        shop_id__in=with_rule, is_active=True, benefits__birthday_gift_points__gt=0
    )
    return sorted(set(tiers.values_list("shop__name", flat=True)))


def rules_page(request: HttpRequest, shop_id: int) -> HttpResponse:
    from patron.rules.models import EarningRule

    rules = (
        EarningRule.objects.filter(shop_id=shop_id)
        .select_related("current_version", "shop")
        .order_by("name")
    )
    form = RulePreviewForm(request.POST or None)
    double_birthday = [
        _(
            "%(shop)s: the birthday points rule and the tiers' birthday gift points both "
            "apply, so members get both. Keep one, or mean it."
        )
        % {"shop": name}
        for name in birthday_granted_twice(shop_id)
    ]
    preview = None
    if request.method == "POST" and form.is_valid():
        preview = rule_preview(form.cleaned_data)
    why_text = {
        "condition_not_met": _("The condition is not met by the sample order."),
        "below_minimum": _("The sample order is below the minimum paid amount."),
        "zero_points": _("The rule gives no points for this order."),
    }
    return render(
        request,
        "console/rules.html",
        {
            "rules": rules,
            "warnings": double_birthday,
            "form": form,
            "preview": preview,
            "why": why_text.get(preview["why"], "") if preview else "",
        },
        status=422 if request.method == "POST" and not form.is_valid() else 200,
    )


class MessageTemplateForm(TextForm):
    """The shop's wording of one message kind on one channel in one language."""

    subject = forms.CharField(label=gettext_lazy("Subject"), required=False, max_length=200)
    body_text = forms.CharField(
        label=gettext_lazy("Text"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("The SMS text on the SMS channel."),
    )
    body_html = forms.CharField(
        label=gettext_lazy("HTML"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    sms_template_code = forms.CharField(
        label=gettext_lazy("SMS template code"), required=False, max_length=64
    )
