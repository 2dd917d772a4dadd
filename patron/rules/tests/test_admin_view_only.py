"""Roles that may only view earning rules get the rule page, read-only,
instead of a 500 (the version fields live on the form, not on the rule)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from patron.core.tests.factories import UserFactory
from patron.rules import services as rule_services

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["finance", "analyst", "service_agent", "marketing"])
def test_every_role_that_sees_earning_rules_gets_the_page(shop: Any, role: str) -> None:
    call_command("sync_roles", verbosity=0)
    rule = rule_services.rule_create(
        shop=shop,
        name="每元 3 分",
        trigger="order.paid",
        fields={"points_per_yuan": 3, "condition": "order.paid_amount > 100"},
    )
    client = Client()
    user = UserFactory.create(username=role, role=role, role__shop=shop)
    client.force_login(user)
    page = client.get(f"/admin/rules/earningrule/{rule.pk}/change/")
    if not user.has_perm("rules.view_earningrule", shop):
        assert page.status_code == 403
        return
    assert page.status_code == 200, page.content[:300]
    html = page.content.decode()
    assert "每元 3 分" in html
    assert "order.paid_amount &gt; 100" in html
    editable = user.has_perm("rules.change_earningrule", shop)
    assert ('name="points_per_yuan"' in html) is editable
    assert client.get("/admin/rules/earningrule/").status_code == 200
