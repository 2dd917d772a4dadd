"""The member page's forms: a refused request re-opens the tab that shows the
form, with the error beside the field and what the operator typed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from patron.members.models import Member
from patron.tiers.models import Tier
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def _english(client: Any) -> Any:
    client.cookies["django_language"] = "en"
    return client


def _current_tab(body: str) -> str:
    match = re.search(r'href="\?tab=(\w+)" aria-current="page"', body)
    assert match is not None
    return match.group(1)


def test_an_override_without_a_reason_reopens_the_tier_tab_with_the_error_and_the_input(
    as_role: Any, member: Member
) -> None:
    # given the default tiers
    tiers_seed_defaults(shop=member.shop)
    client = _english(as_role("admin"))
    # when an operator asks for Gold with a blank reason
    response = client.post(
        f"/console/members/{member.pk}/override-tier/", {"tier": "gold", "reason": "   "}
    )
    # then the tier tab opens with the form, the reason's error and Gold still chosen
    body = response.content.decode()
    assert response.status_code == 422
    assert _current_tab(body) == "tier"
    assert 'id="id_reason_error"' in body
    assert re.search(r'<option value="gold"[^>]*selected', body)


def test_a_second_override_is_refused_beside_the_tier_with_the_reason_kept(
    as_role: Any, member: Member
) -> None:
    # given an override already pending for the member
    tiers_seed_defaults(shop=member.shop)
    client = _english(as_role("admin"))
    first = client.post(
        f"/console/members/{member.pk}/override-tier/", {"tier": "gold", "reason": "VIP"}
    )
    assert first.status_code == 302
    # when another one is asked for
    response = client.post(
        f"/console/members/{member.pk}/override-tier/",
        {"tier": "silver", "reason": "second try"},
    )
    # then the tier tab shows the refusal next to the tier and keeps the input
    body = response.content.decode()
    assert response.status_code == 422
    assert _current_tab(body) == "tier"
    assert re.search(
        r'id="id_tier_error">This member already has a tier override pending or in force\.<',
        body,
    )
    assert "second try</textarea>" in body
    assert re.search(r'<option value="silver"[^>]*selected', body)
    assert Tier.objects.filter(shop=member.shop, code="silver").exists()


def test_a_refused_adjustment_reopens_a_tab_that_shows_its_form(
    as_role: Any, member: Member
) -> None:
    # when an adjustment of zero points is asked for
    response = _english(as_role("admin")).post(
        f"/console/members/{member.pk}/adjust-points/", {"points": "0", "reason": "typo fix"}
    )
    # then the points tab shows the form with the error and the reason kept
    body = response.content.decode()
    assert response.status_code == 422
    assert _current_tab(body) == "points"
    assert 'id="id_points_error"' in body
    assert "typo fix</textarea>" in body
