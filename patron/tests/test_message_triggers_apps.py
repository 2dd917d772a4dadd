"""Each owning app's trigger: what the member is told, once, and the shop's
webhook beside it; the defaults are valid templates in both languages, an
operator's saved template replaces the default, and a trigger switched off
records its messages as suppressed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from patron.campaigns.services.birthday_gifts import birthday_gifts_grant
from patron.core import clock, roles
from patron.core.models import Shop
from patron.core.services import roles_sync
from patron.core.tests.factories import make_operator
from patron.members.models import Member
from patron.messaging import services as messaging
from patron.messaging.kinds import LANGUAGES, kinds_all
from patron.messaging.models import Message, WebhookDelivery, WebhookSubscription
from patron.messaging.templating import template_fields_check
from patron.points.services import adjustment_approve, adjustment_request
from patron.promotions import services as promotions
from patron.promotions.models import CouponSource, CouponTemplate
from patron.promotions.tests.conftest import give_points
from patron.rewards import services as rewards
from patron.rewards.tests.test_services import make_reward
from patron.tiers.models import TierBenefits
from patron.tiers.services.definitions import tiers_seed_defaults
from patron.tiers.services.evaluation import tiers_evaluate_period
from patron.tiers.tests.conftest import Sender, set_program

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))

TRIGGERS = {
    "tier.upgraded",
    "tier.downgraded",
    "tier.grace_started",
    "points.expiring",
    "points.adjusted",
    "coupon.issued",
    "coupon.expiring",
    "reward.redeemed",
    "birthday.gift",
}


@pytest.fixture
def member(shop: Shop) -> Member:
    clock.freeze(dt.datetime(2026, 1, 10, 12, 0, tzinfo=SH))
    WebhookSubscription.objects.create(
        shop=shop,
        url="https://shop.example/hooks",
        event_types=["*"],
        secret="whsec_test",
        created_at=clock.now(),
    )
    now = clock.now()
    return Member.objects.create(
        shop=shop,
        external_id="M1",
        name="Ann",
        email="ann@example.com",
        language="en",
        birthday=dt.date(1990, 1, 10),
        registered_at=now,
        created_at=now,
        updated_at=now,
    )


@pytest.fixture
def admin(shop: Shop) -> User:
    roles_sync()
    return make_operator("alice", roles.ADMIN, shop, is_staff=True)


def inbox(kind: str) -> list[Message]:
    return list(Message.objects.filter(kind=kind, channel="inapp").order_by("pk"))


def hooks(event_type: str) -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.filter(event_type=event_type).order_by("pk"))


def test_every_trigger_has_valid_defaults_in_both_languages() -> None:
    kinds = {k.code: k for k in kinds_all()}
    assert set(kinds) >= TRIGGERS
    for code in TRIGGERS:
        kind = kinds[code]
        for channel in kind.channels:
            for language in LANGUAGES:
                wording = kind.defaults[channel][language]
                assert wording.body_text, (code, channel, language)
                template_fields_check(
                    kind,
                    {
                        "subject": wording.subject,
                        "body_text": wording.body_text,
                        "body_html": wording.body_html,
                    },
                )


def test_an_adjustment_is_told_once_with_reason_and_balance(member: Member, admin: User) -> None:
    adjustment_request(member=member, points=300, reason="late parcel", actor=admin)
    adjustment_request(member=member, points=-100, reason="double credit", actor=admin)
    told = inbox("points.adjusted")
    assert [m.subject for m in told] == [
        "Your points were adjusted by +300",
        "Your points were adjusted by -100",
    ]
    assert "(late parcel). Available now: 300." in told[0].body_text
    assert "Available now: 200." in told[1].body_text
    assert [h.payload["points"] for h in hooks("points.adjusted")] == [300, -100]


def test_an_adjustment_waiting_for_approval_is_told_when_applied(
    member: Member, admin: User, shop: Shop
) -> None:
    second = make_operator("bob", roles.ADMIN, shop, is_staff=True)
    big = adjustment_request(member=member, points=900_000, reason="migration", actor=admin)
    assert big.state == "awaiting"
    assert inbox("points.adjusted") == []
    adjustment_approve(adjustment=big, actor=second)
    assert [m.subject for m in inbox("points.adjusted")] == ["Your points were adjusted by +900000"]


def test_a_redemption_is_told_once_even_when_the_request_is_retried(
    member: Member, shop: Shop
) -> None:
    give_points(member, 5000)
    reward = make_reward(shop, name="Travel mug")
    for _ in range(2):
        rewards.redemption_place(
            shop=shop, member=member, reward=reward, request_id="r-1", shipping_address="Shanghai"
        )
    assert [m.subject for m in inbox("reward.redeemed")] == ["You redeemed Travel mug"]
    assert [h.payload["points"] for h in hooks("reward.redeemed")] == [3000]


def test_a_coupon_given_is_told_a_coupon_taken_only_reaches_the_shop(
    member: Member, shop: Shop
) -> None:
    template = CouponTemplate.objects.create(
        shop=shop, code="gift", name="10 off", type="fixed", amount=1000,
        per_member_limit=0, created_at=clock.now(),
    )  # fmt: skip
    promotions.coupon_issue(template=template, member=member, source=CouponSource.OPERATOR)
    promotions.coupon_issue(template=template, member=member, source=CouponSource.CLAIM)
    assert [m.subject for m in inbox("coupon.issued")] == ["A coupon for you: 10 off"]
    assert [h.payload["source"] for h in hooks("coupon.issued")] == ["operator", "claim"]


def test_the_birthday_gift_is_told_where_it_is_granted(member: Member, shop: Shop) -> None:
    program = tiers_seed_defaults(shop=shop)
    set_program(program, birthday_days_before=0, birthday_days_after=7)
    TierBenefits.objects.filter(tier__shop=shop, tier__code="normal").update(
        birthday_gift_points=50
    )
    assert birthday_gifts_grant(shop=shop) == 1
    assert birthday_gifts_grant(shop=shop) == 0
    (told,) = inbox("birthday.gift")
    assert told.subject == "Happy birthday, Ann!"
    assert "you get 50 points." in told.body_text
    assert [h.payload["points"] for h in hooks("member.birthday_gift")] == [50]


def test_the_period_evaluation_tells_grace_then_downgrade_once(member: Member, shop: Shop) -> None:
    program = tiers_seed_defaults(shop=shop)
    send = Sender(shop)
    send.pay("A", 400000)  # gold, protected to the end of February
    send.pay("B", 100000)
    clock.freeze(dt.datetime(2026, 1, 20, 12, 0, tzinfo=SH))
    send.refund("A", "R1")  # leaves 1010, below gold's retention
    assert tiers_evaluate_period(shop=shop, period_end=dt.date(2026, 2, 28)) is not None
    assert tiers_evaluate_period(shop=shop, period_end=dt.date(2026, 2, 28)) is None
    (grace,) = inbox("tier.grace_started")
    assert grace.subject.startswith("Keep your ") and "grace until 2026-03-31" in grace.subject
    assert [h.payload["direction"] for h in hooks("member.tier_grace_started")] == ["grace"]
    tiers_evaluate_period(shop=shop, period_end=dt.date(2026, 3, 31))
    (down,) = inbox("tier.downgraded")
    assert down.subject.startswith("Your tier is now ")
    assert program.grace_periods == 1


def test_a_saved_template_replaces_the_default_and_a_switched_off_trigger_is_suppressed(
    member: Member, admin: User, shop: Shop
) -> None:
    messaging.template_save(
        shop=shop,
        kind="points.adjusted",
        channel="inapp",
        language="en",
        subject="Points {{ points }} for {{ member.name }}",
        body_text="{{ reason }}",
        actor=admin,
    )
    adjustment_request(member=member, points=10, reason="sorry", actor=admin)
    assert [m.subject for m in inbox("points.adjusted")] == ["Points +10 for Ann"]
    messaging.kind_switch_set(shop=shop, kind="points.adjusted", enabled=False, actor=admin)
    adjustment_request(member=member, points=20, reason="again", actor=admin)
    last = inbox("points.adjusted")[-1]
    assert (last.state, last.reason) == ("suppressed", "trigger_off")
