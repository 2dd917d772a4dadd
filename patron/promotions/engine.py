"""The pricing engine: pure functions over a cart and a set of offers.

No database here. ``checkout`` turns coupons into :class:`Offer` values, and
this module answers what each offer takes off, which combination is best and
how every fen lands on the order lines.

Rules (see docs/decisions/promotions.md):

- Coupons apply one after another in a fixed order: threshold (满减), fixed
  amount, percentage, free shipping; ties by the offer's sort key. Each one
  sees the line amounts the previous ones left, so a percentage coupon after
  a 满减 takes its percent of what remains, and a threshold is checked against
  what remains of the eligible lines.
- A coupon's discount is spread over its eligible lines pro rata to what is
  left of them, with :func:`patron.core.money.allocate`; a line never goes
  below zero and the parts always add up to the discount.
- Stacking: at most one coupon per stacking group; an exclusive coupon is used
  alone. A coupon that would take nothing off in a combination cannot be in it.
- Because every coupon's discount can only shrink when others apply first,
  its stand-alone discount bounds what it adds to any combination; the search
  uses that bound to prune and is still exact.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from patron.core.money import Rounding, allocate, divide

FIXED = "fixed"
PERCENT = "percent"
THRESHOLD = "threshold"
FREE_SHIPPING = "free_shipping"
APPLY_ORDER = {THRESHOLD: 0, FIXED: 1, PERCENT: 2, FREE_SHIPPING: 3}


@dataclass(frozen=True)
class CartLine:
    line_id: str
    sku: str
    category: str
    quantity: int
    unit_price: int

    @property
    def amount(self) -> int:
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Offer:
    """A coupon as the engine sees it."""

    key: str
    kind: str
    amount: int = 0
    percent: int = 0
    max_discount: int = 0
    threshold: int = 0
    repeating: bool = False
    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    group: str = "order"
    exclusive: bool = False
    rank: tuple[int | str, ...] = ()  # tie-break inside a kind (e.g. expiry first)

    def eligible(self, line: CartLine) -> bool:
        if not self.skus and not self.categories:
            return True
        return line.sku in self.skus or line.category in self.categories

    @property
    def sort_key(self) -> tuple[int, tuple[int | str, ...], str]:
        return (APPLY_ORDER[self.kind], self.rank, self.key)


@dataclass(frozen=True)
class Applied:
    """What one offer took off: per line (same order as the cart) and from shipping."""

    key: str
    lines: tuple[int, ...]
    shipping: int

    @property
    def total(self) -> int:
        return sum(self.lines) + self.shipping


@dataclass(frozen=True)
class Shortfall:
    """Why an offer took nothing: the eligible base it saw and what it needed."""

    reason: str  # "scope", "threshold", "no_shipping", "nothing_left"
    base: int = 0
    needed: int = 0


@dataclass
class State:
    """What is left to pay: per line and for shipping."""

    lines: list[int]
    shipping: int

    def copy(self) -> State:
        return State(list(self.lines), self.shipping)


def discount_for(offer: Offer, cart: Sequence[CartLine], state: State) -> Applied | Shortfall:
    """What ``offer`` takes off given what is still to pay (``state``); pure."""
    eligible = [offer.eligible(line) for line in cart]
    if not any(eligible):
        return Shortfall("scope")
    base = sum(left for left, ok in zip(state.lines, eligible, strict=True) if ok)
    if offer.threshold and base < offer.threshold:
        return Shortfall("threshold", base=base, needed=offer.threshold)
    if offer.kind == FREE_SHIPPING:
        off = state.shipping
        if offer.max_discount:
            off = min(off, offer.max_discount)
        if off <= 0:
            return Shortfall("no_shipping")
        return Applied(offer.key, tuple(0 for _ in cart), off)
    if offer.kind == FIXED:
        off = offer.amount
    elif offer.kind == THRESHOLD:
        times = base // offer.threshold if (offer.repeating and offer.threshold) else 1
        off = offer.amount * times
    elif offer.kind == PERCENT:
        off = divide(base * offer.percent, 100, Rounding.DOWN)
    else:  # pragma: no cover - the model's choices are closed
        raise ValueError(f"unknown coupon kind {offer.kind!r}")
    if offer.max_discount:
        off = min(off, offer.max_discount)
    off = min(off, base)
    if off <= 0:
        return Shortfall("nothing_left", base=base)
    weights = [left if ok else 0 for left, ok in zip(state.lines, eligible, strict=True)]
    return Applied(offer.key, tuple(allocate(off, weights)), 0)


def apply(applied: Applied, state: State) -> None:
    for i, part in enumerate(applied.lines):
        state.lines[i] -= part
    state.shipping -= applied.shipping


def stacking_conflict(offers: Sequence[Offer]) -> tuple[Offer, Offer] | None:
    """The first pair that may not be combined, or None."""
    for offer in offers:
        if offer.exclusive and len(offers) > 1:
            other = next(o for o in offers if o is not offer)
            return offer, other
    seen: dict[str, Offer] = {}
    for offer in offers:
        if offer.group in seen:
            return seen[offer.group], offer
        seen[offer.group] = offer
    return None


@dataclass
class Outcome:
    """The result of applying a set of offers in order."""

    applied: list[Applied]
    state: State
    failed: dict[str, Shortfall] = field(default_factory=dict)

    @property
    def discount(self) -> int:
        return sum(a.total for a in self.applied)


def run(offers: Iterable[Offer], cart: Sequence[CartLine], start: State) -> Outcome:
    """Apply ``offers`` in the canonical order; offers that take nothing are skipped
    and reported in ``failed``."""
    state = start.copy()
    applied: list[Applied] = []
    failed: dict[str, Shortfall] = {}
    for offer in sorted(offers, key=lambda o: o.sort_key):
        result = discount_for(offer, cart, state)
        if isinstance(result, Shortfall):
            failed[offer.key] = result
            continue
        apply(result, state)
        applied.append(result)
    return Outcome(applied, state, failed)


def combination_value(
    offers: Sequence[Offer], cart: Sequence[CartLine], start: State
) -> int | None:
    """The total discount of exactly these offers together, or None when the set is
    not allowed (stacking) or one of them would take nothing."""
    if stacking_conflict(offers) is not None:
        return None
    outcome = run(offers, cart, start)
    if outcome.failed:
        return None
    return outcome.discount


def best_combination(
    offers: Sequence[Offer], cart: Sequence[CartLine], start: State
) -> tuple[list[Offer], int]:
    """The allowed set of offers with the largest total discount (exact).

    Depth-first over the offers in application order, carrying the state, with
    branch and bound: what is left can add at most the best stand-alone
    discount of each stacking group not yet used (and never more than is left
    to pay). Ties keep the set found first, which has the fewest coupons among
    the sets explored before it. Exclusive offers are tried alone.
    """
    standalone: dict[str, int] = {}
    candidates: list[Offer] = []
    for offer in offers:
        result = discount_for(offer, cart, start)
        if isinstance(result, Applied):
            standalone[offer.key] = result.total
            candidates.append(offer)
    best: list[Offer] = []
    best_value = 0
    for offer in candidates:
        if offer.exclusive and standalone[offer.key] > best_value:
            best, best_value = [offer], standalone[offer.key]
    stackable = sorted((o for o in candidates if not o.exclusive), key=lambda o: o.sort_key)
    n = len(stackable)
    # suffix_best[i][group]: the best stand-alone discount in ``group`` among stackable[i:]
    suffix_best: list[dict[str, int]] = [{} for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        here = dict(suffix_best[i + 1])
        offer = stackable[i]
        here[offer.group] = max(here.get(offer.group, 0), standalone[offer.key])
        suffix_best[i] = here

    chosen: list[Offer] = []
    used_groups: set[str] = set()

    def bound(i: int, state: State) -> int:
        extra = sum(v for g, v in suffix_best[i].items() if g not in used_groups)
        return min(extra, sum(state.lines) + state.shipping)

    def search(i: int, state: State, value: int) -> None:
        nonlocal best, best_value
        if value > best_value or (value == best_value and value and len(chosen) < len(best)):
            best, best_value = list(chosen), value
        if i == n or value + bound(i, state) <= best_value:
            return
        offer = stackable[i]
        if offer.group not in used_groups:
            result = discount_for(offer, cart, state)
            if isinstance(result, Applied):
                after = state.copy()
                apply(result, after)
                chosen.append(offer)
                used_groups.add(offer.group)
                search(i + 1, after, value + result.total)
                used_groups.discard(offer.group)
                chosen.pop()
        search(i + 1, state, value)

    search(0, start, 0)
    return best, best_value


def brute_force_best(offers: Sequence[Offer], cart: Sequence[CartLine], start: State) -> int:
    """The best total discount by trying every subset (for tests only)."""
    from itertools import combinations

    best = 0
    for size in range(1, len(offers) + 1):
        for subset in combinations(offers, size):
            value = combination_value(subset, cart, start)
            if value is not None and value > best:
                best = value
    return best
