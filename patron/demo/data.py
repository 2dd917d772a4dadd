"""Demo data for ``patron seed-demo``: a shop, operators and members here, the
orders in ``orders`` (the context every step gets is in ``context``).

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

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from patron.core.demo import (
    DEMO_MEMBER_EXTERNAL_ID,
    DEMO_MEMBER_PHONE,
    DEMO_OPERATORS,
    DEMO_PASSWORD,
    DEMO_SHOP,
)
from patron.core.models import OperatorMembership, Shop
from patron.core.pii import normalize_phone
from patron.core.services import roles_sync
from patron.demo.context import (
    BATCH,
    REGISTRATION_DAYS,
    DemoContext,
    Step,
    daytime,
    demo_base,
    weighted,
)
from patron.demo.orders import step_orders
from patron.demo.pools import (
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
        domain = weighted(rng, EMAIL_DOMAINS_EN)
    else:
        surname, surname_py, _ = rng.choices(SURNAMES, weights=[w for *_, w in SURNAMES])[0]
        pool = GIVEN_FEMALE if female else GIVEN_MALE
        given = rng.sample(pool, rng.choices([1, 2], weights=[30, 70])[0])
        name = surname + "".join(c for c, _ in given)
        given_py = "".join(p for _, p in given)
        handle = rng.choice([f"{surname_py}{given_py}", f"{given_py}.{surname_py}"])
        domain = weighted(rng, EMAIL_DOMAINS_ZH)
    if domain == "qq.com" and rng.random() < 0.7:
        handle = str(rng.randrange(10**7, 10**10))  # QQ numbers
    elif rng.random() < 0.5:
        handle += str(rng.choice([rng.randrange(1970, 2006), rng.randrange(1, 1000)]))
    email = f"{handle}@{domain}" if rng.random() < 0.85 else ""
    age_days = rng.randrange(18 * 365, 62 * 365)
    birthday = (ctx.base - dt.timedelta(days=age_days)).date() if rng.random() < 0.9 else None
    # More members joined recently than long ago: a growing programme.
    days_ago = REGISTRATION_DAYS * (1 - math.sqrt(rng.random()))
    registered = daytime(rng, ctx.ago(math.ceil(days_ago)))
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

# Messaging: preferences, the shop's webhook subscription and inbox messages
# (last: the reminders read the points and coupons the steps above made).
from patron.demo.messaging import step_messaging  # noqa: E402

STEPS.append(("messaging", step_messaging))

# Service SLAs: the office calendar and the default policies (after tiers:
# the Diamond and Gold policies name those tiers).
from patron.demo.service_sla import step_service_sla  # noqa: E402

STEPS.append(("service_sla", step_service_sla))

# The assistant (patron.assistant): the demo shop's FAQ knowledge base.
from patron.demo.assistant import step_assistant  # noqa: E402

STEPS.append(("assistant", step_assistant))
