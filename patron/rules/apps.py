from typing import Any

from django.apps import AppConfig


def _version_shop_id(version: Any) -> Any:
    from patron.rules.models import EarningRule

    return EarningRule.objects.filter(pk=version.rule_id).values_list("shop_id", flat=True).first()


class RulesConfig(AppConfig):
    name = "patron.rules"
    label = "rules"
    verbose_name = "rules"

    def ready(self) -> None:
        from patron.core.config_cache import watch
        from patron.rules.models import EarningRule, EarningRuleVersion

        watch(EarningRule, lambda rule: rule.shop_id)
        watch(EarningRuleVersion, _version_shop_id)
