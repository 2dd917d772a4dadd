"""The member-data answers: each states the member's own figures in zh and
en and links to the page; another member's order is refused without saying
whether it exists; without a member the assistant asks to sign in."""

from __future__ import annotations

import datetime as dt

import pytest

from patron.assistant.intents import IntentQuestion, intent_answer
from patron.core import clock
from patron.core.models import Shop
from patron.members.models import Member
from patron.points.tests.conftest import Sender
from patron.promotions.tests.conftest import give_points, issue, make_template
from patron.service.tests.returns_helpers import earning, paid_order
from patron.tiers.services.definitions import tiers_seed_defaults

pytestmark = pytest.mark.django_db


def ask(shop: Shop, member: Member | None, text: str, language: str = "zh-hans"):  # type: ignore[no-untyped-def]
    return intent_answer(IntentQuestion(shop=shop, text=text, language=language, member=member))


@pytest.fixture
def shipped(shop: Shop, member: Member, other: Member) -> None:
    earning(shop)
    paid_order(shop, member)  # ¥250, 250 points pending
    paid_order(shop, other, "O2")
    at = clock.now() - dt.timedelta(hours=5)
    Sender(shop)(
        "order.shipped",
        member.external_id,
        {
            "order_id": "O1",
            "carrier": "顺丰",
            "tracking_number": "SF42",
            "checkpoints": [{"at": at.isoformat(), "location": "深圳", "description": "已揽收"}],
        },
        at=at,
    )


@pytest.mark.usefixtures("shipped")
def test_where_is_my_order_states_the_latest_order_and_its_latest_scan(
    shop: Shop, member: Member
) -> None:
    zh = ask(shop, member, "我的快遞到哪了？")  # traditional, full-width
    assert zh is not None and zh.intent == "order" and zh.link == "/orders/"
    assert (
        zh.text == "您的订单 O1（2026-12-01）状态：已发货。 "
        "包裹 SF42（顺丰）最新：2026-12-03 07:00 深圳 已揽收。"
    )
    en = ask(shop, member, "Where is my parcel??", "en")
    assert en is not None
    assert en.text == (
        "Your order O1 of 2026-12-01 is shipped. "
        "Parcel SF42 (顺丰), latest: 2026-12-03 07:00 深圳 已揽收."
    )


@pytest.mark.usefixtures("shipped")
def test_another_members_order_number_is_refused_like_an_unknown_one(
    shop: Shop, member: Member
) -> None:
    theirs = ask(shop, member, "订单O2到哪了")
    unknown = ask(shop, member, "订单O9到哪了")
    assert theirs is not None and theirs.refused and theirs.handoff_offered
    assert theirs.text == unknown.text.replace("O9", "O2")  # type: ignore[union-attr]
    assert "O2" in theirs.text and "SF" not in theirs.text and "已发货" not in theirs.text
    mine = ask(shop, member, "track order O1 please", "en")
    assert mine is not None and not mine.refused and "SF42" in mine.text


@pytest.mark.usefixtures("shipped")
def test_points_balance_pending_and_the_next_expiry(shop: Shop, member: Member) -> None:
    give_points(member, 300, expires_at=clock.now() + dt.timedelta(days=40))
    zh = ask(shop, member, "我还有多少积分")
    assert zh is not None and zh.link == "/points/"
    assert zh.text == "您有 300 积分可用，250 积分待生效。 300 积分将在 2027-01-12 之后过期。"
    en = ask(shop, member, "How many points do I have?", "en")
    assert en is not None
    assert en.text == (
        "You have 300 points to use and 250 pending. 300 points expire after 2027-01-12."
    )


@pytest.mark.usefixtures("shipped")
def test_distance_to_the_next_tier(shop: Shop, member: Member) -> None:
    tiers_seed_defaults(shop=shop)
    zh = ask(shop, member, "离下一级还差多少")
    assert zh is not None and zh.link == "/tier-history/"
    assert zh.text == "您是普通会员，成长值为 260。 再有 740 即可升至银牌会员（门槛 1000）。"
    en = ask(shop, member, "how far am I from the next tier", "en")
    assert en is not None
    assert en.text == (
        "You are Normal; your growth value is 260. 740 more gets you to Silver (from 1000)."
    )


def test_usable_coupons_leave_out_used_expired_and_others(
    shop: Shop, member: Member, other: Member
) -> None:
    issue(make_template(shop, name="满100减10"), member)
    issue(make_template(shop, name="别人的券"), other)
    short = issue(make_template(shop, name="过期券"), member)
    short.valid_until = clock.now() - dt.timedelta(days=1)
    short.save(update_fields=["valid_until"])
    en = ask(shop, member, "which coupons can I use?", "en")
    assert en is not None and en.link == "/coupons/"
    assert en.text == "You have 1 coupon to use: 满100减10 (until 2027-01-02)."
    zh = ask(shop, member, "我有哪些优惠券能用")
    assert zh is not None and "满100减10" in zh.text and "别人的券" not in zh.text


def test_no_member_asks_to_sign_in_and_offers_a_person(shop: Shop) -> None:
    answer = ask(shop, None, "我的积分还有多少")
    assert answer is not None and answer.sign_in_needed and answer.handoff_offered
    assert answer.link == "/sign-in/"


def test_knowledge_base_questions_are_not_taken_as_member_data(shop: Shop, member: Member) -> None:
    for text, language in [
        ("怎么退货", "zh-hans"),
        ("积分怎么获得", "zh-hans"),
        ("how do I earn points", "en"),
        ("what is the return policy", "en"),
    ]:
        assert ask(shop, member, text, language) is None, text
