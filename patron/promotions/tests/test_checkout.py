"""Cart evaluation against the database: reasons, the best combination, points,
and per-line amounts that add up to the fen."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.models import PointsCashSettings
from patron.promotions.checkout import CartIn, checkout_evaluate
from patron.promotions.models import CouponStatus
from patron.promotions.reasons import Reason
from patron.promotions.tests.conftest import give_points, issue, line, make_template

pytestmark = pytest.mark.django_db


def why(reason: Reason | None) -> Reason:
    assert reason is not None
    return reason


def views_by_name(evaluation):
    return {v.coupon.template.name: v for v in evaluation.coupons if v.coupon}


def test_each_coupon_says_whether_it_applies_and_why_not(shop: Shop, member: Member) -> None:
    # given a member holding five coupons
    t300 = make_template(shop, name="满300减50", type="threshold", amount=5000, threshold=30000)
    pct = make_template(
        shop, name="9折", type="percent", percent=10, max_discount=2000, stacking_group="platform"
    )
    shoes = make_template(
        shop, name="鞋类立减", type="fixed", amount=1500, categories=["shoes"], stacking_group="cat"
    )
    ship = make_template(shop, name="包邮", type="free_shipping")
    gold = make_template(
        shop, name="金牌专享", type="fixed", amount=3000, tier_codes=["gold"], stacking_group="gold"
    )
    for t in (t300, pct, shoes, ship, gold):
        issue(t, member)
    # when a ¥277 cart of socks with ¥10 shipping is evaluated
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(lines=[line("1", 27700, category="socks")], shipping_fee=1000),
    )
    views = views_by_name(ev)
    # then the threshold coupon says how much is missing, in both languages
    r = views["满300减50"].reason
    assert r is not None and r.code == "threshold"
    assert r.zh_hans == "适用商品满¥300.00可用，还差¥23.00"
    assert r.en == "Spend ¥23.00 more on eligible items to use it (minimum ¥300.00)"
    assert why(views["鞋类立减"].reason).code == "scope"
    assert why(views["金牌专享"].reason).code == "tier"
    assert why(views["金牌专享"].reason).zh_hans == "仅限gold使用"
    # and the percentage (capped at ¥20 → ¥20; 10% of 277 = 27.70) and free shipping combine
    assert views["9折"].standalone == 2000
    assert views["包邮"].standalone == 1000
    assert sorted(ev.best) == sorted([views["9折"].code, views["包邮"].code])
    assert ev.best_value == 3000
    assert ev.total == 27700 + 1000 - 3000


def test_wanted_codes_are_used_as_asked_and_conflicts_explained(shop: Shop, member: Member) -> None:
    a = issue(make_template(shop, name="立减10元", amount=1000), member)
    b = issue(make_template(shop, name="立减20元", amount=2000), member)  # same group "order"
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(lines=[line("1", 10000)], coupon_codes=[a.code, b.code.lower()]),
    )
    assert ev.selected_codes() == [a.code]
    view_b = next(v for v in ev.coupons if v.code == b.code)
    assert view_b.reason is None  # usable on its own ...
    assert why(view_b.selection_reason).code == "not_combinable"  # ... but not with the first
    assert why(view_b.selection_reason).zh_hans == "不能与「立减10元」同时使用"
    assert ev.best == [b.code]  # the best alone is the ¥20 one
    assert ev.total == 9000


def test_unknown_used_expired_and_foreign_codes(shop: Shop, member: Member) -> None:
    from patron.promotions.tests.conftest import make_member

    other = make_member(shop)
    t = make_template(shop, validity_kind="days_after_issue", valid_days=3)
    used = issue(t, member)
    used.status = CouponStatus.USED
    used.save()
    old = issue(t, member)
    theirs = issue(t, other)
    clock.advance(dt.timedelta(days=4))
    fresh = issue(t, member)
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(
            lines=[line("1", 5000)],
            coupon_codes=["ZZZZ-ZZZZ-ZZZZ-Z", used.code, old.code, theirs.code, fresh.code],
        ),
    )
    reasons = {v.code: why(v.reason).code if v.reason else None for v in ev.coupons}
    assert reasons[used.code] == "used"
    assert reasons[old.code] == "expired"
    assert reasons[theirs.code] == "not_found"  # told apart from an unknown code by nothing
    assert reasons["ZZZZZZZZZZZZZ"] == "not_found"
    assert reasons[fresh.code] is None
    assert ev.selected_codes() == [fresh.code]


def test_new_members_only(shop: Shop, member: Member, send) -> None:
    c = issue(make_template(shop, name="新人券", new_members_only=True), member)
    cart = CartIn(lines=[line("1", 5000)])
    assert checkout_evaluate(shop=shop, member=member, cart=cart).best == [c.code]
    send(
        "order.paid",
        member.external_id,
        {
            "order_id": "O-1",
            "lines": [{"line_id": "1", "sku": "S", "quantity": 1, "unit_price": 100}],
            "paid_amount": 100,
        },
    )
    ev = checkout_evaluate(shop=shop, member=member, cart=cart)
    assert ev.best == []
    assert why(ev.coupons[0].reason).code == "new_members_only"


def test_budget_left_must_cover_the_discount(shop: Shop, member: Member) -> None:
    t = make_template(shop, amount=3000, budget=10000, budget_used=8000)
    issue(t, member)
    ev = checkout_evaluate(shop=shop, member=member, cart=CartIn(lines=[line("1", 5000)]))
    assert why(ev.coupons[0].reason).code == "budget"
    assert ev.total == 5000


def test_points_default_rate_cap_and_step(shop: Shop, member: Member) -> None:
    # given 12,345 points and a ¥189.99 cart: at most 50% = ¥94.99 → 9,400 points (steps of 100)
    give_points(member, 12345)
    ev = checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=[line("1", 18999)], points=20000)
    )
    assert ev.points.max_points == 9400
    assert ev.points.used == 9400 and ev.points.value == 9400
    assert why(ev.points_reason).code == "points_capped"
    assert ev.total == 18999 - 9400


def test_points_below_minimum_and_not_with_coupons(shop: Shop, member: Member) -> None:
    PointsCashSettings.objects.create(shop=shop, min_points=1000, combine_with_coupons=False)
    give_points(member, 900)
    ev = checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=[line("1", 50000)], points=900)
    )
    assert ev.points.used == 0
    assert why(ev.points_reason).code == "points_below_minimum"
    give_points(member, 5000)
    issue(make_template(shop, amount=1000), member)
    ev = checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=[line("1", 50000)], points=1000)
    )
    assert ev.points.used == 0 and why(ev.points_reason).code == "points_not_with_coupons"
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(lines=[line("1", 50000)], points=1000, coupon_codes=[]),
    )
    assert ev.points.used == 1000 and ev.total == 49000


def test_points_that_take_off_more_win_over_coupons_they_cannot_combine_with(
    shop: Shop, member: Member
) -> None:
    PointsCashSettings.objects.create(shop=shop, combine_with_coupons=False)
    give_points(member, 10000)
    small = issue(make_template(shop, amount=100), member)  # ¥1 off
    cart = CartIn(lines=[line("1", 20000)], points=10000)  # ¥100 of points wanted
    ev = checkout_evaluate(shop=shop, member=member, cart=cart)
    assert ev.selected == [] and ev.points.used == 10000 and ev.total == 10000
    assert ev.points_reason is None
    # A coupon worth more than the points is still the better choice.
    big = issue(make_template(shop, name="立减150", amount=15000), member)
    ev = checkout_evaluate(shop=shop, member=member, cart=cart)
    assert ev.selected_codes() == [big.code] and ev.points.used == 0
    assert why(ev.points_reason).code == "points_not_with_coupons"
    assert ev.total == 5000
    assert small.code not in ev.selected_codes()


def test_points_tier_rate(shop: Shop, member: Member, monkeypatch) -> None:
    from patron.promotions import tiering

    settings_row = PointsCashSettings.objects.create(shop=shop)
    settings_row.tier_rates.create(tier_code="diamond", points_per_yuan=50)
    monkeypatch.setattr(
        tiering, "member_tier", lambda m: tiering.TierView("diamond", "钻石会员", 0)
    )
    give_points(member, 1000)
    ev = checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=[line("1", 10000)], points=1000)
    )
    assert ev.points.value == 2000  # 50 points = ¥1
    assert ev.total == 8000


def test_member_price_then_coupons_then_points_per_line(
    shop: Shop, member: Member, monkeypatch
) -> None:
    from patron.promotions import tiering

    monkeypatch.setattr(tiering, "member_tier", lambda m: tiering.TierView("gold", "金牌会员", 500))
    issue(make_template(shop, type="threshold", amount=5000, threshold=30000), member)
    give_points(member, 100000)
    ev = checkout_evaluate(
        shop=shop,
        member=member,
        cart=CartIn(
            lines=[line("a", 19999), line("b", 3333, quantity=3), line("c", 1)],
            shipping_fee=800,
            points=5000,
        ),
    )
    # 19999 + 9999 + 1 = 29999; 5% member price rounds each discount down
    assert ev.member_discounts == [999, 499, 0]
    # 满300 on 28501 after member price: not reached
    assert ev.selected == []
    answer = ev.answer()
    assert [ln["to_pay"] for ln in answer["lines"]] == [19000 - 3333, 9500 - 1667, 1 - 0]
    assert answer["points"]["used"] == 5000 and answer["points"]["value"] == 5000
    assert answer["total"] == 28501 - 5000 + 800


@st.composite
def random_carts(draw):
    n = draw(st.integers(1, 6))
    lines = [
        line(
            f"L{i}",
            draw(st.integers(0, 50000)),
            quantity=draw(st.integers(1, 5)),
            sku=draw(st.sampled_from("abc")),
            category=draw(st.sampled_from("xy")),
        )
        for i in range(n)
    ]
    return lines, draw(st.sampled_from([0, 800])), draw(st.integers(0, 30000))


def _seed(shop: Shop) -> Member:
    from patron.promotions.tests.conftest import make_member

    member = make_member(shop)
    for kw in (
        {"type": "threshold", "amount": 5000, "threshold": 30000, "repeating": True},
        {"type": "percent", "percent": 15, "max_discount": 4000, "stacking_group": "p"},
        {"type": "fixed", "amount": 2000, "categories": ["x"], "stacking_group": "c"},
        {"type": "fixed", "amount": 99999, "skus": ["a"], "exclusive": True},
        {"type": "free_shipping", "threshold": 10000},
    ):
        issue(make_template(shop, **kw), member)
    give_points(member, 50000)
    return member


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=random_carts())
def test_totals_are_never_negative_and_never_off_by_a_fen(shop: Shop, case) -> None:
    from django.db import transaction

    lines, shipping, points = case
    with transaction.atomic():
        savepoint = transaction.savepoint()
        member = _seed(shop)
        ev = checkout_evaluate(
            shop=shop, member=member, cart=CartIn(lines=lines, shipping_fee=shipping, points=points)
        )
        transaction.savepoint_rollback(savepoint)
    a = ev.answer()
    assert a["total"] >= 0 and all(ln["to_pay"] >= 0 for ln in a["lines"])
    assert a["total"] == (
        a["items_amount"]
        + shipping
        - a["discounts"]["member_price"]
        - a["discounts"]["coupons"]
        - a["discounts"]["shipping"]
        - a["discounts"]["points_value"]
    )
    assert sum(ln["to_pay"] for ln in a["lines"]) + a["shipping"]["to_pay"] == a["total"]
    assert sum(ln["points"] for ln in a["lines"]) == a["points"]["used"]
    for ln in a["lines"]:
        assert sum(ln["coupons"].values()) == ln["coupon_discount"]


def test_member_price_and_free_shipping_come_from_the_tier(shop: Shop, member: Member) -> None:
    from patron.tiers.models import Tier, TierBenefits

    # given the shop's entry tier gives 3% off and free shipping from ¥99
    normal = Tier.objects.create(
        shop=shop, code="normal", name="普通会员", name_en="Member", rank=0
    )
    TierBenefits.objects.create(tier=normal, discount_bp=300, free_shipping_threshold=9900)
    Tier.objects.create(
        shop=shop, code="gold", name="金牌会员", name_en="Gold", rank=2, entry_threshold=10
    )
    gold_only = issue(make_template(shop, name="金牌专享", tier_codes=["gold"]), member)
    ship = issue(make_template(shop, name="包邮券", type="free_shipping"), member)
    # when a ¥102.99 cart with ¥8 shipping is evaluated
    ev = checkout_evaluate(
        shop=shop, member=member, cart=CartIn(lines=[line("1", 10299)], shipping_fee=800)
    )
    # then 3% of 10299 = 308.97 → 308 off; ¥99.91 reaches ¥99, so shipping is free by tier
    assert ev.member_discounts == [308]
    assert ev.shipping_discount == 800 and ev.total == 10299 - 308
    views = {v.code: v for v in ev.coupons}
    assert why(views[gold_only.code].reason).zh_hans == "仅限金牌会员使用"
    assert why(views[gold_only.code].reason).en == "Only for Gold members"
    assert why(views[ship.code].reason).code == "no_shipping"
    assert ev.answer()["tier"] == {"code": "normal", "name": "普通会员"}
