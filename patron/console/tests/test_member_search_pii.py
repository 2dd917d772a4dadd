"""Console member search confirms no phone number or e-mail address to roles
that see them masked (issue 11, item 3)."""

from __future__ import annotations

from typing import Any

import pytest

from patron.members.models import Member

pytestmark = pytest.mark.django_db

SPELLINGS = ["13912345678", "139 1234 5678", "+86 139-1234-5678", "+8613912345678"]


@pytest.mark.parametrize("role", ["analyst", "marketing", "finance"])
@pytest.mark.parametrize("query", [*SPELLINGS, "lilei@example.com", "LiLei@Example.com"])
def test_search_by_phone_or_e_mail_does_not_confirm_whose_it_is(
    as_role: Any, member: Member, role: str, query: str
) -> None:
    response = as_role(role).get("/console/members/", {"q": query})
    assert response.status_code == 200
    body = response.content.decode()
    assert list(response.context["members"]) == []
    assert member.external_id not in body
    assert "cannot search by them" in body or "无法按其搜索" in body


@pytest.mark.parametrize("role", ["service_agent", "service_lead", "admin"])
@pytest.mark.parametrize("query", [*SPELLINGS, "lilei@example.com"])
def test_roles_that_see_phones_find_members_by_them(
    as_role: Any, member: Member, role: str, query: str
) -> None:
    response = as_role(role).get("/console/members/", {"q": query})
    assert list(response.context["members"]) == [member]


@pytest.mark.parametrize("role", ["analyst", "service_agent"])
def test_everyone_finds_members_by_number_and_name(as_role: Any, member: Member, role: str):
    for query in ["M200", "李雷"]:
        response = as_role(role).get("/console/members/", {"q": query})
        assert list(response.context["members"]) == [member]
