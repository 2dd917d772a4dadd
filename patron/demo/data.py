"""Demo data for ``patron seed-demo``: a shop, operators, members and orders.

Determinism: every value comes from ``random.Random`` seeded with the
``--seed`` and the step's name, and every date is an offset from one *base*:
local midnight of ``clock.today()``. Two runs with the same seed on the same
day produce identical rows; on another day the same rows shifted to that day.
Adding a step later does not change what the earlier steps produce.

Later issues (points, tiers, ...) extend the seed by appending a step to
:data:`STEPS`; a step receives the :class:`DemoContext`, which carries the shop,
the members (in external-id order) and the base date, and records its counts
in ``ctx.summary``. Steps run in list order inside one transaction, after the
orders exist.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from patron.core import clock
from patron.core.demo import (
    DEMO_MEMBER_EXTERNAL_ID,
    DEMO_MEMBER_PHONE,
    DEMO_OPERATORS,
    DEMO_PASSWORD,
    DEMO_SHOP,
)
from patron.core.models import OperatorMembership, Shop
from patron.core.money import Rounding, divide
from patron.core.pii import normalize_phone
from patron.core.services import roles_sync
from patron.demo.pools import (
    CATALOGUE,
    EMAIL_DOMAINS_EN,
    EMAIL_DOMAINS_ZH,
    ENGLISH_FIRST_FEMALE,
    ENGLISH_FIRST_MALE,
    ENGLISH_LAST,
    GIVEN_FEMALE,
    GIVEN_MALE,
    MOBILE_PREFIXES,
    SURNAMES,
)
from patron.members.models import Gender, Language, Member, RegistrationChannel
from patron.messaging import services as messaging_services
from patron.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    OrderStatusChange,
    Refund,
    RefundLine,
)
from patron.orders.services import line_goods_shares

S = OrderStatus
BATCH = 1000  # rows per bulk_create: few round trips, modest memory
REGISTRATION_DAYS = 912  # about 2.5 years
ORDER_DAYS = 730  # two years


@dataclass
class DemoContext:
    seed: int
    members_wanted: int
    orders_wanted: int
    base: dt.datetime  # local midnight of the day the seed runs; all dates are before it
    log: Callable[[str], None]
    shop: Shop | None = None
    members: list[Member] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)

    def rng(self, step: str) -> random.Random:
        # A string seed is hashed with SHA-512 by random.Random: stable across runs.
        return random.Random(f"{self.seed}:{step}")

    def ago(self, days: float) -> dt.datetime:
        return self.base - dt.timedelta(days=days)


def demo_base() -> dt.datetime:
    """Local midnight of today by the one clock: the fixed point of a seed run."""
    return _midnight(clock.today())


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone.get_current_timezone())


def demo_is_seeded() -> bool:
    return Member.objects.filter(shop__name=DEMO_SHOP).exists()


# --- steps -------------------------------------------------------------------


def step_shop(ctx: DemoContext) -> None:
    ctx.shop, _ = Shop.objects.get_or_create(name=DEMO_SHOP, defaults={"currency": "CNY"})


def step_operators(ctx: DemoContext) -> None:
    roles_sync()
    # One hash for all: the demo accounts share the password, and hashing six
    # times would dominate the seed's run time.
    password = make_password(DEMO_PASSWORD)
    for username, role, is_superuser in DEMO_OPERATORS:
        user, _ = User.objects.get_or_create(username=username)
        user.password = password
        user.is_staff = True
        user.is_superuser = is_superuser
        user.email = f"{username}@demo.patron.example"
        user.save()
        # Roles are held per shop (OperatorMembership); the global groups
        # only carry each role's permissions.
        user.groups.clear()
        OperatorMembership.objects.update_or_create(
            user=user, shop=ctx.shop, defaults={"role": role}
        )
    ctx.summary["operators"] = len(DEMO_OPERATORS)


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _daytime(rng: random.Random, day_start: dt.datetime) -> dt.datetime:
    """A moment on the day starting at ``day_start``, busiest in the evening."""
    hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
    return day_start + dt.timedelta(hours=hour, seconds=rng.randrange(3600))


_HOUR_WEIGHTS = [2, 1, 1, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 6, 6, 6, 6, 7, 9, 11, 12, 10, 5]


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = normalize_phone(rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}")
        if phone not in taken:
            taken.add(phone)
            return phone


def _member(rng: random.Random, ctx: DemoContext, index: int, phones: set[str]) -> Member:
    english = rng.random() < 0.12
    gender = rng.choices([Gender.FEMALE, Gender.MALE, Gender.UNDISCLOSED], weights=[55, 40, 5])[0]
    female = gender == Gender.FEMALE or (gender == Gender.UNDISCLOSED and rng.random() < 0.5)
    if english:
        first = rng.choice(ENGLISH_FIRST_FEMALE if female else ENGLISH_FIRST_MALE)
        last = rng.choice(ENGLISH_LAST)
        name = f"{first} {last}"
        handle = f"{first}.{last}".lower()
        domain = _weighted(rng, EMAIL_DOMAINS_EN)
    else:
        surname, surname_py, _ = rng.choices(SURNAMES, weights=[w for *_, w in SURNAMES])[0]
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given = rng.sample(pool, rng.choices([1, 2], weights=[30, 70])[0])
        name = surname + "".join(c for c, _ in given)
        given_py = "".join(p for _, p in given)
        handle = rng.choice([f"{surname_py}{given_py}", f"{given_py}.{surname_py}"])
        domain = _weighted(rng, EMAIL_DOMAINS_ZH)
    if domain == "qq.com" and rng.random() < 0.7:
        handle = str(rng.randrange(10**7, 10**10))  # QQ numbers
    elif rng.random() < 0.5:
        handle += str(rng.choice([rng.randrange(1970, 2006), rng.randrange(1, 1000)]))
    email = f"{handle}@{domain}" if rng.random() < 0.85 else ""
    age_days = rng.randrange(18 * 365, 62 * 365)
    birthday = (ctx.base - dt.timedelta(days=age_days)).date() if rng.random() < 0.9 else None
    # More members joined recently than long ago: a growing programme.
    days_ago = REGISTRATION_DAYS * (1 - math.sqrt(rng.random()))
    registered = _daytime(rng, ctx.ago(math.ceil(days_ago)))
    registered = min(registered, ctx.base - dt.timedelta(minutes=5))
    channel = rng.choices(
        [
            RegistrationChannel.APP,
            RegistrationChannel.MINI_PROGRAM,
            RegistrationChannel.WEB,
            RegistrationChannel.STORE,
        ],
        weights=[35, 35, 20, 10],
    )[0]
    language = (
        (Language.EN if rng.random() < 0.8 else Language.ZH_HANS)
        if english
        else (Language.ZH_HANS if rng.random() < 0.97 else Language.EN)
    )
    return Member(
        shop=ctx.shop,
        external_id=f"M{index:06d}",
        name=name,
        phone=_phone(rng, phones),
        email=email,
        birthday=birthday,
        gender=gender,
        registered_at=registered,
        registration_channel=channel,
        language=language,
        consent_email=bool(email) and rng.random() < 0.45,
        consent_sms=rng.random() < 0.6,
        consent_in_app=rng.random() < 0.9,
        created_at=registered,
        updated_at=registered,
    )


def _demo_member(ctx: DemoContext, phones: set[str]) -> Member:
    """The member the README names: a loyal shopper with a birthday next week."""
    soon = (ctx.base + dt.timedelta(days=7)).date()
    registered = ctx.ago(800) + dt.timedelta(hours=20, minutes=15)
    phone = normalize_phone(DEMO_MEMBER_PHONE)
    phones.add(phone)
    return Member(
        shop=ctx.shop,
        external_id=DEMO_MEMBER_EXTERNAL_ID,
        name="林晓雯",
        phone=phone,
        email="xiaowen.lin@example.com",
        birthday=dt.date(1992, soon.month, soon.day),
        gender=Gender.FEMALE,
        registered_at=registered,
        registration_channel=RegistrationChannel.APP,
        language=Language.ZH_HANS,
        consent_email=True,
        consent_sms=True,
        consent_in_app=True,
        created_at=registered,
        updated_at=registered,
    )


def step_members(ctx: DemoContext) -> None:
    rng = ctx.rng("members")
    phones: set[str] = set()
    members = [_demo_member(ctx, phones)]
    members += [_member(rng, ctx, i, phones) for i in range(2, ctx.members_wanted + 1)]
    Member.objects.bulk_create(members, batch_size=BATCH)
    # Re-read so every member carries its primary key on every backend.
    ctx.members = list(Member.objects.filter(shop=ctx.shop).order_by("external_id"))
    # Their consent flags become messaging preferences, the source of truth.
    messaging_services.preferences_import(members=ctx.members, actor="demo")
    ctx.summary["members"] = len(ctx.members)


@dataclass
class _Draft:
    order: Order
    lines: list[OrderLine]
    history: list[tuple[str, str, dt.datetime]]
    refund: tuple[dt.datetime, list[tuple[int, int, int]]] | None = None  # at, (idx, qty, amt)


_CATEGORIES = list(CATALOGUE)
_CATEGORY_WEIGHTS = [CATALOGUE[c][0] for c in _CATEGORIES]


def _order_times(
    rng: random.Random, ctx: DemoContext, members: list[Member]
) -> list[tuple[dt.datetime, Member]]:
    """When each order was placed and by whom: spend is heavily skewed."""
    window_start = ctx.ago(ORDER_DAYS)
    weights: list[float] = []
    for m in members:
        start = max(m.registered_at, window_start)
        share = max(0.0, (ctx.base - start).total_seconds()) / (ORDER_DAYS * 86400)
        # A quarter never buy; the rest draw a lognormal appetite (a few whales).
        appetite = 0.0 if rng.random() < 0.25 else rng.lognormvariate(0, 1.3)
        if m.external_id == DEMO_MEMBER_EXTERNAL_ID:
            appetite = 8.0
        weights.append(appetite * share)
    buyers = rng.choices(members, weights=weights, k=ctx.orders_wanted)
    # Double 11 and 618 draw a crowd.
    festivals = [
        d
        for year in range(ctx.base.year - 3, ctx.base.year + 1)
        for d in (dt.date(year, 11, 11), dt.date(year, 6, 18))
        if window_start.date() < d < ctx.base.date()
    ]
    placed: list[tuple[dt.datetime, Member]] = []
    for m in buyers:
        start = max(m.registered_at, window_start)
        span_days = (ctx.base - start).total_seconds() / 86400
        eligible = [d for d in festivals if d > timezone.localtime(start).date()]
        if eligible and rng.random() < 0.06:
            day = rng.choice(eligible)
        else:
            day = timezone.localtime(start + dt.timedelta(days=rng.random() * span_days)).date()
        at = _daytime(rng, _midnight(day))
        at = min(max(at, start + dt.timedelta(minutes=3)), ctx.base - dt.timedelta(minutes=1))
        placed.append((at, m))
    placed.sort(key=lambda p: (p[0], p[1].external_id))
    return placed


def _draft_order(
    rng: random.Random,
    ctx: DemoContext,
    seq: int,
    at: dt.datetime,
    member: Member,
    likes: list[str],
) -> _Draft:
    n_lines = rng.choices([1, 2, 3, 4, 5], weights=[50, 25, 13, 7, 5])[0]
    picked: list[tuple[str, str, str, int]] = []
    skus: set[str] = set()
    while len(picked) < n_lines:
        category = (
            rng.choice(likes)
            if rng.random() < 0.65
            else rng.choices(_CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
        )
        sku, name, price = rng.choice(CATALOGUE[category][1])
        if sku not in skus:
            skus.add(sku)
            picked.append((sku, name, category, price))
    quantities = [rng.choices([1, 2, 3, 4, 6], weights=[70, 20, 6, 3, 1])[0] for _ in picked]
    amounts = [q * p[3] for q, p in zip(quantities, picked, strict=True)]
    items = sum(amounts)
    shipping = 0 if items >= 9900 else rng.choice([600, 800, 1000])
    discount, coupons = 0, []
    promo = rng.random()
    if promo < 0.12 and items >= 30000:
        discount, coupons = min(items // 30000, 5) * 3000, ["MJ300-30"]  # 每满300减30
    elif promo < 0.22 and items >= 10000:
        discount, coupons = 1000, ["MJ100-10"]
    elif promo < 0.30:
        discount = divide(items * 5, 100, Rounding.DOWN)  # member price: 5% off
    paid = items + shipping - discount
    local = timezone.localtime(at)
    order = Order(
        shop=ctx.shop,
        member=member,
        external_id=f"SO{local:%Y%m%d}{seq:06d}",
        currency="CNY",
        items_amount=items,
        shipping_fee=shipping,
        discount_amount=discount,
        coupon_codes=coupons,
        paid_amount=paid,
        placed_at=at,
    )
    shares = line_goods_shares(paid, shipping, amounts)
    lines = [
        OrderLine(
            line_id=str(i + 1),
            sku=sku,
            name=name,
            category=category,
            quantity=q,
            unit_price=price,
            paid_amount=share,
        )
        for i, ((sku, name, category, price), q, share) in enumerate(
            zip(picked, quantities, shares, strict=True)
        )
    ]
    draft = _Draft(order=order, lines=lines, history=[])
    _draft_lifecycle(rng, ctx, draft)
    return draft


def _draft_lifecycle(rng: random.Random, ctx: DemoContext, draft: _Draft) -> None:
    """Status, timestamps and history: recent orders are still on their way."""
    order, h = draft.order, draft.history
    paid_at = order.placed_at + dt.timedelta(seconds=rng.randrange(20, 1200))
    paid_at = min(paid_at, ctx.base - dt.timedelta(seconds=30))
    order.paid_at = paid_at
    h.append((S.CREATED, S.PAID, paid_at))
    order.status = S.PAID
    last = paid_at
    if rng.random() < 0.03:
        cancelled = min(paid_at + dt.timedelta(minutes=rng.randrange(5, 360)), ctx.base)
        order.cancelled_at = cancelled
        h.append((S.PAID, S.CANCELLED, cancelled))
        order.status, order.updated_at = S.CANCELLED, cancelled
        return
    shipped = paid_at + dt.timedelta(hours=rng.uniform(4, 36))
    completed = shipped + dt.timedelta(days=rng.uniform(2, 6))
    if shipped < ctx.base:
        order.shipped_at = last = shipped
        h.append((S.PAID, S.SHIPPED, shipped))
        order.status = S.SHIPPED
        if completed < ctx.base:
            order.completed_at = last = completed
            h.append((S.SHIPPED, S.COMPLETED, completed))
            order.status = S.COMPLETED
    refund_at = completed + dt.timedelta(days=rng.uniform(0.5, 14))
    if order.status == S.COMPLETED and refund_at < ctx.base and rng.random() < 0.055:
        units = sum(ln.quantity for ln in draft.lines)
        if units == 1 or rng.random() < 0.4:
            refunded = [(i, ln.quantity) for i, ln in enumerate(draft.lines)]
        else:
            refunded = _partial_refund(rng, draft.lines)
        parts = [
            (i, q, divide(draft.lines[i].paid_amount * q, draft.lines[i].quantity, Rounding.DOWN))
            for i, q in refunded
        ]
        full = all(q == draft.lines[i].quantity for i, q in refunded) and len(refunded) == len(
            draft.lines
        )
        for i, q, _ in parts:
            draft.lines[i].refunded_quantity = q
        # A full refund also returns shipping and the rounding remainder.
        order.refunded_amount = order.paid_amount if full else sum(a for *_, a in parts)
        order.refunded_at = last = refund_at
        to = S.REFUNDED if full else S.PARTIALLY_REFUNDED
        h.append((S.COMPLETED, to, refund_at))
        order.status = to
        draft.refund = (refund_at, parts)
    order.updated_at = last


def _partial_refund(rng: random.Random, lines: list[OrderLine]) -> list[tuple[int, int]]:
    """Some units of some lines, never every unit of every line."""
    chosen = sorted(rng.sample(range(len(lines)), rng.randint(1, len(lines))))
    out = [(i, rng.randint(1, lines[i].quantity)) for i in chosen]
    if len(out) == len(lines) and all(q == lines[i].quantity for i, q in out):
        i, q = out[-1]
        out[-1] = (i, q - 1)
        if q - 1 == 0:
            out.pop()
    return out


def _save_drafts(drafts: list[_Draft]) -> None:
    orders = Order.objects.bulk_create([d.order for d in drafts])
    lines: list[OrderLine] = []
    history: list[OrderStatusChange] = []
    for d, order in zip(drafts, orders, strict=True):
        for ln in d.lines:
            ln.order = order
        lines += d.lines
        history += [
            OrderStatusChange(order=order, from_status=a, to_status=b, at=at, note="demo")
            for a, b, at in d.history
        ]
    OrderLine.objects.bulk_create(lines)
    OrderStatusChange.objects.bulk_create(history)
    refunded = [d for d in drafts if d.refund is not None]
    refunds = Refund.objects.bulk_create(
        Refund(
            order=d.order,
            external_id=f"RF{d.order.external_id[2:]}",
            amount=d.order.refunded_amount,
            at=d.refund[0],
        )
        for d in refunded
        if d.refund is not None
    )
    RefundLine.objects.bulk_create(
        RefundLine(refund=refund, line=d.lines[i], quantity=q, amount=a)
        for d, refund in zip(refunded, refunds, strict=True)
        if d.refund is not None
        for i, q, a in d.refund[1]
    )


def step_orders(ctx: DemoContext) -> None:
    rng = ctx.rng("orders")
    likes = {m.pk: rng.sample(_CATEGORIES, 2) for m in ctx.members}
    counts = {"orders": 0, "order_lines": 0, "refunds": 0}
    batch: list[_Draft] = []
    for seq, (at, member) in enumerate(_order_times(rng, ctx, ctx.members), start=1):
        draft = _draft_order(rng, ctx, seq, at, member, likes[member.pk])
        batch.append(draft)
        counts["orders"] += 1
        counts["order_lines"] += len(draft.lines)
        counts["refunds"] += draft.refund is not None
        if len(batch) == BATCH:
            _save_drafts(batch)
            batch = []
    if batch:
        _save_drafts(batch)
    ctx.summary.update(counts)


Step = Callable[[DemoContext], None]

# Run in this order, inside one transaction. Later apps append theirs.
STEPS: list[tuple[str, Step]] = [
    ("shop", step_shop),
    ("operators", step_operators),
    ("members", step_members),
    ("orders", step_orders),
]


def demo_seed(
    *,
    members: int = 1000,
    orders: int = 20000,
    seed: int = 42,
    log: Callable[[str], None] = lambda _: None,
) -> DemoContext:
    """Create the demo shop, operators, members and orders (all or nothing)."""
    if members < 1 or orders < 0:
        raise ValueError("at least one member and no negative order count")
    ctx = DemoContext(
        seed=seed, members_wanted=members, orders_wanted=orders, base=demo_base(), log=log
    )
    with transaction.atomic():
        for name, step in STEPS:
            log(f"seeding {name} ...")
            step(ctx)
    return ctx


# The member portal: the demo member signs in with DEMO_PASSWORD.
from patron.portal.demo import step_portal  # noqa: E402

STEPS.append(("portal", step_portal))

# Tiers (patron.tiers): growth value and tiers computed from the demo orders.
from patron.tiers.demo import step_tiers  # noqa: E402

STEPS.append(("tiers", step_tiers))

# Points (patron.points): programme, default earning rules and points history.
from patron.points.demo import step_points  # noqa: E402

STEPS.append(("points", step_points))

# Promotions and rewards: coupon templates, coupons, flash sales, rewards catalogue
# and redemptions (after points: redemptions spend points through the ledger).
from patron.demo.promotions import step_promotions  # noqa: E402

STEPS.append(("promotions", step_promotions))
