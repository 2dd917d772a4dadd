"""One list of tier benefit fields (``tiers.models.BENEFIT_FIELDS``): the typed
view other apps read and the API's schema carry exactly the model's fields."""

from __future__ import annotations

from dataclasses import fields

from patron.tiers.api import BenefitsOut
from patron.tiers.models import BENEFIT_FIELDS
from patron.tiers.selectors import Benefits


def test_the_benefits_view_carries_every_benefit_field() -> None:
    own = ("tier_code", "tier_name", "tier_name_en")
    assert tuple(f.name for f in fields(Benefits) if f.name not in own) == BENEFIT_FIELDS


def test_the_api_schema_carries_every_benefit_field() -> None:
    assert tuple(BenefitsOut.model_fields) == BENEFIT_FIELDS


def test_the_list_is_the_models_benefits() -> None:
    assert BENEFIT_FIELDS[:2] == ("earn_multiplier_percent", "discount_bp")
    assert "tier" not in BENEFIT_FIELDS and len(BENEFIT_FIELDS) == 12
