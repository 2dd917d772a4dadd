from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from patron.assistant import intents, selectors, services
from patron.assistant.faq import EntryDraft
from patron.assistant.intents import IntentAnswer, IntentQuestion
from patron.assistant.models import Asked, Entry, Outcome
from patron.core import clock
from patron.core.errors import PatronError
from patron.core.models import Shop
from patron.members.models import Member

pytestmark = pytest.mark.django_db

DRAFTS = [
    EntryDraft(
        key="points-expiry",
        category="points",
        question_zh="积分什么时候过期",
        question_en="When do my points expire?",
        answer_zh="次年12月31日过期。",
        answer_en="On 31 December of the following year.",
        phrasings={"zh-hans": ["积分有效期多久"], "en": ["How long are points valid?"]},
    ),
    EntryDraft(
        key="return-policy",
        category="after_sale",
        question_zh="支持七天无理由退货吗",
        question_en="Can I return an item within 7 days?",
        answer_zh="支持。",
        answer_en="Yes.",
    ),
    EntryDraft(
        key="return-shipping",
        category="after_sale",
        question_zh="退货运费谁出",
        question_en="Who pays for return shipping?",
        answer_zh="质量问题由我们承担。",
        answer_en="We do, for faulty items.",
    ),
]


@pytest.fixture
def kb(shop: Shop, fake_engine: Any) -> Shop:
    services.faq_load(shop=shop, drafts=DRAFTS)
    return shop


def _member(shop: Shop, external_id: str) -> Member:
    now = clock.now()
    return Member.objects.create(
        shop=shop, external_id=external_id, registered_at=now, created_at=now, updated_at=now
    )


def test_a_clear_question_gets_the_entrys_answer_and_is_logged(kb: Shop) -> None:
    member = _member(kb, "M1")

    reply = services.ask(shop=kb, text="积分什么时候会过期？", member=member)

    assert (reply.outcome, reply.entry_key, reply.language) == (
        Outcome.ANSWERED,
        "points-expiry",
        "zh-hans",
    )
    assert reply.text == "次年12月31日过期。" and not reply.handoff_offered
    asked = Asked.objects.get(pk=reply.asked_id)
    assert asked.entry is not None
    assert (asked.member, asked.outcome, asked.entry.key, asked.text) == (
        member,
        "answered",
        "points-expiry",
        "积分什么时候会过期？",
    )
    assert asked.confidence == reply.confidence > 0.5


def test_an_unsure_question_offers_the_two_best_entries_and_a_person(kb: Shop) -> None:
    reply = services.ask(shop=kb, text="退货", language="zh-hans")

    assert reply.outcome == Outcome.UNSURE and reply.entry_key is None
    assert [c["key"] for c in reply.candidates] == ["return-shipping", "return-policy"]
    assert reply.candidates[0]["question"] == "退货运费谁出"
    assert reply.handoff_offered
    assert reply.text.startswith("我不太确定您的意思")  # in the member's language
    assert Asked.objects.get(pk=reply.asked_id).candidates[0]["key"] == "return-shipping"


def test_an_unrelated_question_is_refused_politely_in_english(kb: Shop) -> None:
    reply = services.ask(shop=kb, text="zzz qqq xxx")

    assert reply.outcome == Outcome.OUT_OF_SCOPE and reply.language == "en"
    assert reply.text.startswith("Sorry, I can only help") and reply.candidates == []
    assert Asked.objects.get(pk=reply.asked_id).outcome == "out_of_scope"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "问" * 501, "\x00\x01\x02 abc", "ab\ufffd\ufffd\ufffdcd", "\x07\x08\x0b\x0c"],
    ids=["empty", "blank", "too-long", "nul", "replacement", "controls"],
)
def test_empty_long_and_binary_questions_are_refused_naming_text(kb: Shop, text: str) -> None:
    with pytest.raises(PatronError) as caught:
        services.ask(shop=kb, text=text)
    assert caught.value.field == "text" and caught.value.code == "validation_error"
    assert not Asked.objects.exists()


def test_500_characters_is_still_a_question(kb: Shop) -> None:
    assert services.ask(shop=kb, text="积" * 500).asked_id


@pytest.fixture
def an_intent(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def points(question: IntentQuestion) -> IntentAnswer | None:
        if "我的积分" not in question.text or question.member is None:
            return None
        return IntentAnswer(intent="points", text=f"{question.member.external_id}: 120", link="/p/")

    # this intent alone (the app's own four are tested in test_intents.py)
    monkeypatch.setattr(intents, "_intents", [points])
    yield


def test_member_data_intents_answer_before_the_knowledge_base(kb: Shop, an_intent: None) -> None:
    member = _member(kb, "M7")

    reply = services.ask(shop=kb, text="我的积分什么时候过期", member=member)

    assert (reply.outcome, reply.text, reply.link) == (Outcome.MEMBER_DATA, "M7: 120", "/p/")
    assert Asked.objects.get(pk=reply.asked_id).outcome == "member_data"
    # without a member the intent passes and the knowledge base answers
    assert services.ask(shop=kb, text="我的积分什么时候过期").entry_key == "points-expiry"


def test_another_shops_member_is_not_asked_for(kb: Shop) -> None:
    other = Shop.objects.create(name="other")
    with pytest.raises(PatronError) as caught:
        services.ask(shop=kb, text="积分什么时候过期", member=_member(other, "X"))
    assert caught.value.field == "member"


def test_feedback_marks_the_askers_answer_and_no_one_elses(kb: Shop) -> None:
    member, stranger = _member(kb, "M1"), _member(kb, "M2")
    reply = services.ask(shop=kb, text="积分什么时候会过期", member=member)

    with pytest.raises(PatronError):
        services.feedback(asked_id=reply.asked_id, helpful=False, member=stranger)
    services.feedback(asked_id=reply.asked_id, helpful=False, member=member)

    assert Asked.objects.get(pk=reply.asked_id).helpful is False
    [group] = selectors.learn_groups(kb.pk)
    assert group.ids == [reply.asked_id] and group.suggested == "points-expiry"


def test_the_engine_is_built_once_and_again_after_an_edit(kb: Shop, fake_engine: Any) -> None:
    first = selectors.engine_for(kb.pk)
    assert selectors.engine_for(kb.pk) is first
    entry = Entry.objects.get(shop=kb, key="return-policy")
    services.entry_state_set(entry=entry, state="draft", actor=None)

    second = selectors.engine_for(kb.pk)

    assert second is not first
    assert [d.key for d in second.docs] == ["points-expiry", "return-shipping"]
    # an unpublished entry is never the answer
    assert services.ask(shop=kb, text="支持七天无理由退货吗").entry_key != "return-policy"
