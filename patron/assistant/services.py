"""The assistant's writes: answering a question (``ask``), a member's
"helpful / did not help" (``feedback``), and, from ``knowledge``, the
knowledge base's edits and the learning loop's resolutions."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from django.utils import translation
from django.utils.translation import gettext as _

from patron.assistant import selectors
from patron.assistant.intents import IntentQuestion, intent_answer
from patron.assistant.knowledge import (
    FaqLoaded,
    asked_dismiss,
    asked_learn,
    entry_create,
    entry_state_set,
    entry_update,
    faq_load,
)
from patron.assistant.models import Asked, Entry, EntryState, Language, Outcome
from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.members.models import Member

__all__ = [
    "FaqLoaded",
    "Reply",
    "answer_of",
    "ask",
    "asked_dismiss",
    "asked_learn",
    "entry_create",
    "entry_state_set",
    "entry_update",
    "faq_load",
    "feedback",
    "language_guess",
    "language_of",
    "question_of",
]

TEXT_MAX = 500
#: how many candidates an unsure answer offers as buttons
BUTTONS = 2
CHANNELS = {"portal", "api", "social", "console"}


@dataclass(frozen=True)
class Reply:
    asked_id: int
    outcome: str
    language: str
    #: what the assistant says: the entry's answer, the unsure or refusal sentence, or member data
    text: str
    entry_key: str | None
    confidence: float
    #: [{"key", "question", "score"}], the next best (the two buttons when unsure)
    candidates: list[dict[str, object]] = field(default_factory=list)
    #: a portal page for member-data answers
    link: str | None = None
    handoff_offered: bool = False


def _looks_binary(text: str) -> bool:
    """Control, private-use, unassigned or replacement characters: bytes read
    as text rather than a question."""
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd"
        or (ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"))
    )
    return odd >= 3 or odd * 10 > len(text)


def question_check(text: object) -> str:
    """The question, trimmed; refused (naming ``text``) when empty, over 500
    characters or binary-looking."""
    if not isinstance(text, str) or not text.strip():
        raise validation_error("text", _("Type a question."))
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise validation_error(
            "text", _("A question is at most %(max)d characters.") % {"max": TEXT_MAX}
        )
    if "\x00" in text or _looks_binary(text):
        raise validation_error("text", _("This does not look like a question in words."))
    return text


def language_guess(text: str) -> str:
    """Chinese when the question has any CJK character, English otherwise."""
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            return Language.ZH
    return Language.EN


def language_of(text: str, wanted: str | None = None) -> str:
    """``wanted`` when it is one of the two languages, else ``language_guess``."""
    return wanted if wanted in Language.values else language_guess(text)


def question_of(entry: Entry, language: str) -> str:
    if language == Language.EN:
        return entry.question_en or entry.question_zh
    return entry.question_zh or entry.question_en


def answer_of(entry: Entry, language: str) -> str:
    if language == Language.EN:
        return entry.answer_en or entry.answer_zh
    return entry.answer_zh or entry.answer_en


def ask(
    *,
    shop: Shop,
    text: str,
    member: Member | None = None,
    language: str | None = None,
    channel: str = "portal",
) -> Reply:
    """Answers one question: the member's own data first (the registered
    intents), then the knowledge base through the shop's engine, behind the
    confidence gate. Every question is logged as an ``Asked`` row."""
    text = question_check(text)
    if language is not None and language not in Language.values:
        raise validation_error("language", _("zh-hans or en"))
    if channel not in CHANNELS:
        raise validation_error("channel", _("Unknown channel."))
    if member is not None and member.shop_id != shop.pk:
        raise PatronError(ErrorCode.NOT_FOUND, _("No such member."), field="member")
    asked_language = language or language_guess(text)
    data = intent_answer(
        IntentQuestion(shop=shop, text=text, language=asked_language, member=member)
    )
    if data is not None:
        return _logged(
            shop=shop,
            member=member,
            channel=channel,
            text=text,
            language=asked_language,
            outcome=Outcome.MEMBER_DATA,
            said=data.text,
            entry=None,
            confidence=1.0,
            candidates=[],
            link=data.link,
            handoff=data.handoff_offered,
        )
    ranking = selectors.engine_for(shop.pk).rank(text, language=language)
    reply_language = language or (
        ranking.language if ranking.language in Language.values else asked_language
    )
    keys = [hit.key for hit in ranking.hits]
    entries = {
        e.key: e for e in Entry.objects.filter(shop=shop, state=EntryState.PUBLISHED, key__in=keys)
    }
    hits = [hit for hit in ranking.hits if hit.key in entries]
    with translation.override(reply_language):
        if ranking.out_of_scope or not hits:
            outcome, said, top, shown = (
                Outcome.OUT_OF_SCOPE,
                _(
                    "Sorry, I can only help with questions about this shop: orders, "
                    "delivery, returns, points, tiers, coupons and your account. "
                    "A person from our service team can help with anything else."
                ),
                None,
                [],
            )
        elif ranking.confident:
            outcome, top, shown = Outcome.ANSWERED, entries[hits[0].key], hits[1 : 1 + BUTTONS]
            said = answer_of(top, reply_language)
        else:
            outcome, said, top, shown = (
                Outcome.UNSURE,
                _(
                    "I am not sure I understood. Did you mean one of these? "
                    "Or I can pass you to a person."
                ),
                None,
                hits[:BUTTONS],
            )
    return _logged(
        shop=shop,
        member=member,
        channel=channel,
        text=text,
        language=reply_language,
        outcome=outcome,
        said=said,
        entry=top,
        confidence=round(float(hits[0].score), 4) if hits else 0.0,
        candidates=[
            {
                "key": h.key,
                "question": question_of(entries[h.key], reply_language),
                "score": round(float(h.score), 4),
            }
            for h in shown
        ],
        link=None,
        handoff=outcome != Outcome.ANSWERED,
    )


def _logged(
    *,
    shop: Shop,
    member: Member | None,
    channel: str,
    text: str,
    language: str,
    outcome: str,
    said: str,
    entry: Entry | None,
    confidence: float,
    candidates: list[dict[str, object]],
    link: str | None,
    handoff: bool,
) -> Reply:
    asked = Asked.objects.create(
        shop=shop,
        member=member,
        channel=channel,
        text=text,
        language=language,
        outcome=outcome,
        entry=entry,
        confidence=confidence,
        candidates=[{"key": c["key"], "score": c["score"]} for c in candidates],
        created_at=clock.now(),
    )
    return Reply(
        asked_id=asked.pk,
        outcome=outcome,
        language=language,
        text=said,
        entry_key=entry.key if entry is not None else None,
        confidence=confidence,
        candidates=candidates,
        link=link,
        handoff_offered=handoff,
    )


def feedback(*, asked_id: int, helpful: bool, member: Member | None) -> None:
    """A member's "this helped / did not help" on one answer of theirs; a "did
    not help" puts the question on the console's learning loop."""
    updated = Asked.objects.filter(
        pk=asked_id, member=member, outcome__in=(Outcome.ANSWERED, Outcome.MEMBER_DATA)
    ).update(helpful=bool(helpful))
    if not updated:
        raise PatronError(ErrorCode.NOT_FOUND, _("No such answer."), field="asked_id")
