"""Earning rules in the admin: one form for the rule and its settings; saving
changed settings adds a version (the old one stays, entries keep pointing at it).
The CEL condition is checked on save; a syntax error names line and column."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from patron.core.config_cache import config_changed
from patron.core.errors import PatronError
from patron.core.services import audit_record
from patron.rules import cel
from patron.rules import services as rule_services
from patron.rules.models import EarningRule, EarningRuleVersion

_VERSION_FORM_FIELDS = forms.fields_for_model(
    EarningRuleVersion, fields=rule_services.VERSION_FIELDS
)


class _EarningRuleFormBase(forms.ModelForm):
    class Meta:
        model = EarningRule
        fields = ["shop", "name", "trigger", "is_active"]
        help_texts = {
            "trigger": "order.paid, review.posted, link.shared, member.registered, "
            "profile.completed, birthday, checkin or custom.<name>"
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.current_version if self.instance.pk else None
        if current is not None:
            for name in rule_services.VERSION_FIELDS:
                self.initial[name] = getattr(current, name)
        if self.instance.pk:
            # A view-only role gets a form without these fields (all read-only).
            for name in ("trigger", "shop"):
                if name in self.fields:
                    self.fields[name].disabled = True

    def clean_condition(self) -> str:
        expression = self.cleaned_data.get("condition") or ""
        problem = cel.check(expression, self._trigger())
        if problem is not None:
            raise forms.ValidationError(f"CEL {problem}")
        return expression

    def _trigger(self) -> str | None:
        """The rule's trigger, whose variables the condition is checked against
        (the field comes before the condition, so it is cleaned already)."""
        if self.instance.pk:
            return str(self.instance.trigger)
        trigger = self.cleaned_data.get("trigger")
        return str(trigger) if trigger else None

    def clean_trigger(self) -> str:
        try:
            return rule_services.trigger_validate(self.cleaned_data.get("trigger", ""))
        except PatronError as exc:
            raise forms.ValidationError(exc.detail) from None

    def version_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in rule_services.VERSION_FIELDS}
        for name in (
            "category_multipliers",
            "sku_multipliers",
            "tier_multipliers",
            "streak_bonuses",
        ):
            data[name] = data[name] or {}
        for name in (
            "points",
            "photo_bonus_points",
            "points_per_yuan",
            "min_order_amount",
            "daily_cap",
            "monthly_cap",
        ):
            data[name] = data[name] or 0
        data["member_day_multiplier"] = data["member_day_multiplier"] or 100
        data["spend_step_yuan"] = data["spend_step_yuan"] or 1
        data["campaign_multiplier"] = data["campaign_multiplier"] or 100
        data["campaign_name"] = data["campaign_name"] or ""
        data["condition"] = data["condition"] or ""
        return data

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                rule_services.version_fields_clean(self.version_fields(), trigger=self._trigger())
            except PatronError as exc:
                field = exc.field if exc.field in self.fields else None
                self.add_error(field, exc.detail)
        return cleaned


_VERSION_COLUMNS = [
    "version",
    "points_per_yuan",
    "spend_step_yuan",
    "points",
    "condition",
    "starts_at",
    "ends_at",
    "created_at",
    "created_by",
]


# The version's settings are declared fields of the rule's form.
EarningRuleForm = type("EarningRuleForm", (_EarningRuleFormBase,), dict(_VERSION_FORM_FIELDS))


class VersionInline(admin.TabularInline):
    model = EarningRuleVersion
    fields = _VERSION_COLUMNS  # type: ignore[assignment]
    readonly_fields = _VERSION_COLUMNS
    extra = 0
    can_delete = False
    ordering = ["-version"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EarningRule)
class EarningRuleAdmin(admin.ModelAdmin):
    form = EarningRuleForm
    list_display = ["name", "shop", "trigger", "is_active", "current_version"]
    list_filter = ["shop", "trigger", "is_active"]
    search_fields = ["name"]
    inlines = [VersionInline]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return [
            (None, {"fields": ["shop", "name", "trigger", "is_active"]}),
            ("Condition and dates", {"fields": ["condition", "starts_at", "ends_at"]}),
            (
                "Orders",
                {
                    "fields": [
                        "points_per_yuan",
                        "spend_step_yuan",
                        "min_order_amount",
                        "category_multipliers",
                        "sku_multipliers",
                        "tier_multipliers",
                        "member_day_of_month",
                        "member_day_multiplier",
                    ]
                },
            ),
            (
                "Campaign",
                {
                    "fields": [
                        "campaign_name",
                        "campaign_starts_at",
                        "campaign_ends_at",
                        "campaign_multiplier",
                    ]
                },
            ),
            ("Actions", {"fields": ["points", "photo_bonus_points", "streak_bonuses"]}),
            ("Caps per member", {"fields": ["daily_cap", "monthly_cap"]}),
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # entries point at rules: deactivate instead

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        fields = form.version_fields()
        if not change:
            rule = rule_services.rule_create(
                shop=obj.shop,
                name=obj.name,
                trigger=obj.trigger,
                fields=fields,
                is_active=obj.is_active,
                actor=request.user,
            )
            obj.pk = rule.pk
            obj.refresh_from_db()
            return
        if {"name", "is_active"} & set(form.changed_data):
            EarningRule.objects.filter(pk=obj.pk).update(name=obj.name, is_active=obj.is_active)
            config_changed(obj.shop_id)
            audit_record(
                actor=request.user,
                action="earning_rule.change",
                obj=obj,
                after={"name": obj.name, "is_active": obj.is_active},
            )
        if set(rule_services.VERSION_FIELDS) & set(form.changed_data):
            rule_services.rule_update(rule=obj, fields=fields, actor=request.user)


def _current_version_value(name: str) -> Any:
    """What a role that may only view sees for a version field: the admin
    shows read-only fields by looking the name up on the admin, and these are
    form fields, not attributes of the rule."""

    def value(self: EarningRuleAdmin, obj: EarningRule) -> Any:
        current = obj.current_version if obj.pk else None
        return getattr(current, name) if current is not None else None

    field = EarningRuleVersion._meta.get_field(name)
    value.short_description = getattr(field, "verbose_name", name)  # type: ignore[attr-defined]
    value.__name__ = name
    return value


for _name in rule_services.VERSION_FIELDS:
    setattr(EarningRuleAdmin, _name, _current_version_value(_name))
