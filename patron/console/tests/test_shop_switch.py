"""An operator of two shops works on one at a time, with that shop's role, and
switches in the header; a shop they do not belong to cannot be chosen."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from patron.core import clock
from patron.core.models import OperatorMembership, Shop
from patron.core.services import roles_sync
from patron.members.models import Member

pytestmark = pytest.mark.django_db


def _member(shop: Shop, external_id: str, name: str) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop,
        external_id=external_id,
        name=name,
        phone="+8613911112222",  # the same phone in both shops
        registered_at=now,
        created_at=now,
        updated_at=now,
    )


def test_an_operator_of_two_shops_has_each_shops_role_and_sees_only_its_members() -> None:
    roles_sync()
    north, south, third = (Shop.objects.create(name=n) for n in ("North", "South", "Third"))
    _member(north, "N1", "北店会员")
    _member(south, "S1", "南店会员")
    user = User.objects.create_user("two-shops", password="pw", is_staff=True)
    OperatorMembership.objects.create(user=user, shop=north, role="service_agent")
    OperatorMembership.objects.create(user=user, shop=south, role="finance")
    client = Client()
    client.force_login(user)

    # first shop by name: North, as a service agent (no dashboard, no audit log)
    page = client.get("/console/members/?q=+8613911112222").content.decode()
    assert "北店会员" in page and "南店会员" not in page
    assert 'name="shop"' in page and ">South</option>" in page and "Third" not in page
    assert client.get("/console/audit/").status_code == 403

    # switched to South, as finance
    assert client.post("/console/shop/", {"shop": south.pk, "next": "/console/members/"})[
        "Location"
    ] == ("/console/members/")
    # (finance sees phones masked, so it searches by name: both shops' match)
    page = client.get("/console/members/?q=店会员").content.decode()
    assert "南店会员" in page and "北店会员" not in page
    assert client.get("/console/audit/").status_code == 200

    # a shop the operator does not belong to cannot be chosen
    assert client.post("/console/shop/", {"shop": third.pk}).status_code == 403
    assert client.post("/console/shop/", {"shop": "x"}).status_code == 403
    assert client.get("/console/audit/").status_code == 200  # still in South


def test_an_operator_of_no_shop_is_refused_and_a_superuser_works_in_one_shop() -> None:
    roles_sync()
    north, south = Shop.objects.create(name="North"), Shop.objects.create(name="South")
    _member(north, "N1", "北店会员")
    _member(south, "S1", "南店会员")
    nobody = User.objects.create_user("nobody", is_staff=True)
    client = Client()
    client.force_login(nobody)
    assert client.get("/console/members/").status_code == 403
    assert client.get("/admin/members/member/").status_code == 403

    root = User.objects.create_superuser("root", password="pw")
    client.force_login(root)
    listed = client.get("/admin/members/member/").content.decode()
    # (by name: a short id like "N1" can turn up inside the page's random tokens)
    assert "北店会员" in listed and "南店会员" not in listed
    client.post("/console/shop/", {"shop": south.pk})
    listed = client.get("/admin/members/member/").content.decode()
    assert "南店会员" in listed and "北店会员" not in listed
