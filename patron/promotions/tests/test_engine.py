"""The pricing engine: exact amounts per coupon type, stacking, allocation, and
the best-combination search against brute force on random carts."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patron.promotions import engine
from patron.promotions.engine import CartLine, Offer, State


def cart(*lines: tuple[str, str, int, int], shipping: int = 0) -> tuple[list[CartLine], State]:
    items = [
        CartLine(line_id=f"L{i}", sku=sku, category=cat, quantity=q, unit_price=p)
        for i, (sku, cat, q, p) in enumerate(lines)
    ]
    return items, State([line.amount for line in items], shipping)


def test_fixed_amount_takes_its_amount_spread_pro_rata():
    lines, start = cart(("A", "shoes", 1, 10000), ("B", "socks", 2, 1500), shipping=1000)
    applied = engine.discount_for(Offer("C1", engine.FIXED, amount=2000), lines, start)
    assert isinstance(applied, engine.Applied)
    # 2000 over 10000 : 3000 → 1538.46 : 461.53 → largest remainder gives 1538 / 462.
    assert applied.lines == (1538, 462)
    assert applied.total == 2000 and applied.shipping == 0


def test_fixed_amount_never_exceeds_what_is_left():
    lines, start = cart(("A", "x", 1, 800))
    applied = engine.discount_for(Offer("C1", engine.FIXED, amount=2000), lines, start)
    assert isinstance(applied, engine.Applied)
    assert applied.lines == (800,)


def test_percentage_rounds_down_and_is_capped():
    lines, start = cart(("A", "x", 3, 3333))  # 9999
    ten = engine.discount_for(Offer("P", engine.PERCENT, percent=10), lines, start)
    assert isinstance(ten, engine.Applied) and ten.total == 999  # 999.9 → 999
    capped = engine.discount_for(
        Offer("P", engine.PERCENT, percent=50, max_discount=3000), lines, start
    )
    assert isinstance(capped, engine.Applied) and capped.total == 3000


def test_threshold_discount_once_and_repeating():
    lines, start = cart(("A", "x", 1, 65000))  # ¥650
    once = Offer("T1", engine.THRESHOLD, amount=5000, threshold=30000)
    every = Offer("T2", engine.THRESHOLD, amount=5000, threshold=30000, repeating=True)
    a = engine.discount_for(once, lines, start)
    b = engine.discount_for(every, lines, start)
    assert isinstance(a, engine.Applied) and a.total == 5000
    assert isinstance(b, engine.Applied) and b.total == 10000  # 每满300减50: 650 → 2 × 50


def test_threshold_not_reached_says_how_much_is_missing():
    lines, start = cart(("A", "x", 1, 27700))
    short = engine.discount_for(
        Offer("T", engine.THRESHOLD, amount=5000, threshold=30000), lines, start
    )
    assert short == engine.Shortfall("threshold", base=27700, needed=30000)


def test_scope_by_category_and_sku_only_touches_eligible_lines():
    lines, start = cart(("A", "shoes", 1, 20000), ("B", "socks", 1, 20000), ("C", "hats", 1, 5000))
    offer = Offer(
        "S",
        engine.THRESHOLD,
        amount=3000,
        threshold=20000,
        categories=frozenset({"shoes"}),
        skus=frozenset({"C"}),
    )
    applied = engine.discount_for(offer, lines, start)
    assert isinstance(applied, engine.Applied)
    # eligible: A (20000) and C (5000) → 3000 split 2400 / 600; B untouched
    assert applied.lines == (2400, 0, 600)
    none = engine.discount_for(
        Offer("N", engine.FIXED, amount=100, skus=frozenset({"Z"})), lines, start
    )
    assert none == engine.Shortfall("scope")


def test_free_shipping_takes_the_fee_and_needs_one():
    lines, start = cart(("A", "x", 1, 5000), shipping=1200)
    applied = engine.discount_for(Offer("F", engine.FREE_SHIPPING, group="shipping"), lines, start)
    assert isinstance(applied, engine.Applied)
    assert applied.shipping == 1200 and applied.lines == (0,)
    _, no_fee = cart(("A", "x", 1, 5000))
    assert engine.discount_for(Offer("F", engine.FREE_SHIPPING), lines, no_fee) == engine.Shortfall(
        "no_shipping"
    )


def test_coupons_apply_in_order_threshold_then_percent_on_what_is_left():
    lines, start = cart(("A", "x", 1, 40000))
    offers = [
        Offer("P", engine.PERCENT, percent=10, group="g2"),
        Offer("T", engine.THRESHOLD, amount=5000, threshold=30000, group="g1"),
    ]
    outcome = engine.run(offers, lines, start)
    assert [a.key for a in outcome.applied] == ["T", "P"]
    assert [a.total for a in outcome.applied] == [5000, 3500]  # 10% of 35000
    assert outcome.state.lines == [31500]


def test_stacking_one_per_group_and_exclusive_alone():
    a = Offer("A", engine.FIXED, amount=100, group="order")
    b = Offer("B", engine.FIXED, amount=200, group="order")
    f = Offer("F", engine.FREE_SHIPPING, group="shipping")
    x = Offer("X", engine.FIXED, amount=300, group="other", exclusive=True)
    assert engine.stacking_conflict([a, f]) is None
    assert engine.stacking_conflict([a, b]) == (a, b)
    assert engine.stacking_conflict([x, f]) == (x, f)
    assert engine.stacking_conflict([x]) is None


def test_best_combination_prefers_the_larger_total_not_the_larger_single():
    # Greedy would take the exclusive 60 off; 满减 40 + free shipping 25 is better.
    lines, start = cart(("A", "x", 1, 30000), shipping=2500)
    offers = [
        Offer("X", engine.FIXED, amount=6000, group="order", exclusive=True),
        Offer("T", engine.THRESHOLD, amount=4000, threshold=30000, group="order"),
        Offer("F", engine.FREE_SHIPPING, group="shipping"),
    ]
    best, value = engine.best_combination(offers, lines, start)
    assert [o.key for o in best] == ["T", "F"]
    assert value == 6500


def test_best_combination_skips_a_threshold_that_another_coupon_breaks():
    # 满300减50 (shop group) and ¥20 off (platform): the fixed one applies after the
    # threshold one, so both work; a second 满减 in another group would fail its threshold.
    lines, start = cart(("A", "x", 1, 32000))
    offers = [
        Offer("T1", engine.THRESHOLD, amount=5000, threshold=30000, group="shop"),
        Offer("T2", engine.THRESHOLD, amount=3000, threshold=30000, group="platform"),
        Offer("C", engine.FIXED, amount=2000, group="platform"),
    ]
    best, value = engine.best_combination(offers, lines, start)
    assert value == 7000
    assert sorted(o.key for o in best) == ["C", "T1"]
    # T1 then T2: 32000-5000 = 27000 < 30000, so T2 cannot join.
    assert engine.combination_value([offers[0], offers[1]], lines, start) is None


KINDS = [engine.FIXED, engine.PERCENT, engine.THRESHOLD, engine.FREE_SHIPPING]


@st.composite
def carts_and_offers(draw: st.DrawFn) -> tuple[list[CartLine], State, list[Offer]]:
    n_lines = draw(st.integers(1, 5))
    lines = [
        CartLine(
            line_id=f"L{i}",
            sku=draw(st.sampled_from(["a", "b", "c", "d"])),
            category=draw(st.sampled_from(["x", "y", "z"])),
            quantity=draw(st.integers(1, 4)),
            unit_price=draw(st.integers(0, 20000)),
        )
        for i in range(n_lines)
    ]
    shipping = draw(st.sampled_from([0, 0, 600, 1000]))
    offers = []
    for i in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(KINDS))
        offers.append(
            Offer(
                key=f"C{i}",
                kind=kind,
                amount=draw(st.integers(1, 10000)),
                percent=draw(st.integers(1, 60)),
                max_discount=draw(st.sampled_from([0, 0, 1500, 5000])),
                threshold=draw(st.sampled_from([0, 0, 5000, 10000, 30000])),
                repeating=draw(st.booleans()),
                skus=frozenset(draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=2))),
                categories=frozenset(draw(st.lists(st.sampled_from(["x", "y"]), max_size=1))),
                group=draw(st.sampled_from(["g1", "g2", "g3", "shipping"])),
                exclusive=draw(st.integers(0, 5)) == 0,
            )
        )
    return lines, State([ln.amount for ln in lines], shipping), offers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(carts_and_offers())
def test_search_finds_the_brute_force_optimum(case):
    lines, start, offers = case
    best, value = engine.best_combination(offers, lines, start)
    assert value == engine.brute_force_best(offers, lines, start)
    if best:
        # The combination it names is allowed and worth exactly what it says.
        assert engine.combination_value(best, lines, start) == value
    else:
        assert value == 0


@settings(max_examples=200, deadline=None)
@given(carts_and_offers())
def test_allocations_never_make_a_line_negative_and_add_up(case):
    lines, start, offers = case
    best, value = engine.best_combination(offers, lines, start)
    outcome = engine.run(best, lines, start)
    assert all(left >= 0 for left in outcome.state.lines)
    assert outcome.state.shipping >= 0
    assert (
        sum(start.lines) + start.shipping - value
        == sum(outcome.state.lines) + outcome.state.shipping
    )
    for applied in outcome.applied:
        assert all(part >= 0 for part in applied.lines)
