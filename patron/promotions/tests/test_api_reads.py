"""GET /flash-sales and GET /members/{id}/coupon-templates: what a shop shows
before a claim, with the ids the claim endpoints take."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.core import clock
from patron.core.models import ApiScope, Shop
from patron.members.models import Member
from patron.promotions.tests.conftest import issue, make_member, make_template
from patron.promotions.tests.test_services import make_sale

pytestmark = pytest.mark.django_db


def test_flash_sales_list_live_and_coming_with_sale_id(api, shop: Shop, member: Member) -> None:
    now = clock.now()
    live = make_sale(shop, name="live", starts_at=now - dt.timedelta(minutes=5))
    coming = make_sale(
        shop,
        name="coming",
        starts_at=now + dt.timedelta(hours=2),
        ends_at=now + dt.timedelta(hours=3),
    )
    make_sale(shop, name="ended", starts_at=now - dt.timedelta(hours=3), ends_at=now)
    make_sale(shop, name="off", active=False)
    make_sale(Shop.objects.create(name="Other"), name="elsewhere")

    body = api.get("/api/v1/flash-sales").json()

    assert [(s["sale_id"], s["name"], s["state"]) for s in body["items"]] == [
        (coming.pk, "coming", "coming"),
        (live.pk, "live", "live"),
    ]
    assert body["items"][1]["remaining"] == 2 and body["items"][1]["coupon"]["amount"] == 2000
    assert body["next_before"] is None
    assert [s["name"] for s in api.get("/api/v1/flash-sales", state="live").json()["items"]] == [
        "live"
    ]
    # The sale_id listed is the one the claim takes.
    claimed = api.post(f"/api/v1/members/M1/flash-sales/{live.pk}/claim")
    assert claimed.status_code == 201, claimed.content
    assert api.get("/api/v1/flash-sales", state="live").json()["items"][0]["claimed"] == 1


def test_flash_sales_list_pages_and_needs_the_checkout_scope(make_api, shop: Shop) -> None:
    sales = [make_sale(shop, name=f"s{n}") for n in range(3)]
    reader = make_api(ApiScope.CHECKOUT)

    first = reader.get("/api/v1/flash-sales", limit=2).json()
    second = reader.get("/api/v1/flash-sales", limit=2, before=first["next_before"]).json()

    assert [s["sale_id"] for s in first["items"] + second["items"]] == [
        s.pk for s in reversed(sales)
    ]
    assert second["next_before"] is None
    assert make_api(ApiScope.MEMBERS_READ).get("/api/v1/flash-sales").status_code == 403
    assert reader.get("/api/v1/flash-sales", state="gone").status_code == 422


def test_claimable_templates_those_the_member_may_claim(api, shop: Shop, member: Member) -> None:
    now = clock.now()
    open_ = make_template(shop, code="open", claimable=True, per_member_limit=1)
    make_template(shop, code="gold", claimable=True, tier_codes=["gold"])
    make_template(shop, code="hidden")  # not claimable
    make_template(shop, code="off", claimable=True, active=False)
    make_template(
        shop,
        code="over",
        claimable=True,
        validity_kind="fixed_dates",
        valid_until=now - dt.timedelta(days=1),
    )
    gone = make_template(shop, code="gone", claimable=True, total_limit=1)
    issue(gone, make_member(shop))
    make_template(Shop.objects.create(name="Other"), code="elsewhere", claimable=True)

    before = api.get("/api/v1/members/M1/coupon-templates").json()
    assert [(t["code"], t["limit_reached"], t["sold_out"]) for t in before["items"]] == [
        ("gone", False, True),
        ("open", False, False),
    ]

    assert api.post("/api/v1/members/M1/coupons/claim", {"template": "open"}).status_code == 201
    after = api.get("/api/v1/members/M1/coupon-templates").json()["items"]
    assert [(t["code"], t["held"], t["limit_reached"]) for t in after] == [
        ("gone", 0, False),
        ("open", 1, True),
    ]
    assert open_.code == "open"


def test_claimable_templates_page_and_scope(make_api, shop: Shop, member: Member) -> None:
    codes = [make_template(shop, code=f"c{n}", claimable=True).code for n in range(3)]
    reader = make_api(ApiScope.CHECKOUT)

    first = reader.get("/api/v1/members/M1/coupon-templates", limit=2).json()
    second = reader.get(
        "/api/v1/members/M1/coupon-templates", limit=2, before=first["next_before"]
    ).json()

    assert [t["code"] for t in first["items"] + second["items"]] == list(reversed(codes))
    assert second["next_before"] is None
    response = make_api(ApiScope.REWARDS).get("/api/v1/members/M1/coupon-templates")
    assert response.status_code == 403
