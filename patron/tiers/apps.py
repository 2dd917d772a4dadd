from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _benefits_shop_id(benefits: Any) -> Any:
    from patron.tiers.models import Tier

    return Tier.objects.filter(pk=benefits.tier_id).values_list("shop_id", flat=True).first()


class TiersConfig(AppConfig):
    name = "patron.tiers"
    label = "tiers"
    verbose_name = _("tiers")

    def ready(self) -> None:
        from patron.core.config_cache import watch
        from patron.points.earning_rules import TierSource, tier_source_register
        from patron.tiers import messages, selectors
        from patron.tiers.models import Tier, TierBenefits, TierProgram

        # Points earning reads tiers through this, never by importing tiers.
        tier_source_register(
            TierSource(
                code_of=selectors.member_tier_code,
                code_and_multiplier_of=selectors.member_tier_and_multiplier,
            )
        )

        messages.register_kinds()

        watch(TierProgram, lambda program: program.shop_id)
        watch(Tier, lambda tier: tier.shop_id)
        watch(TierBenefits, _benefits_shop_id)
