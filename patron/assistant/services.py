"""The assistant's writes: ``ask`` (answer a question and log it) and
``feedback`` ("this did not help").

BRIDGE: this is asstchat's minimal ``ask`` so the chat, the API and the
hand-off can be built and tested before asstkb's ``ask`` (the engine,
``engine_for``) lands; asstkb's module replaces this one on merge. The
signatures and ``Reply`` are the shared interface of issue 16; only the
retrieval here (``difflib`` over the published questions and phrasings)
is a stand-in."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from patron.assistant.intents import IntentQuestion, intent_answer
from patron.assistant.models import Asked, Entry, EntryState, Outcome
from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.members.models import Member

TEXT_MAX = 500
CONFIDENT = 0.75
MARGIN = 0.08
IN_SCOPE = 0.35
CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Reply:
    asked_id: int
    outcome: str
    language: str
    text: str
    entry_key: str | None
    confidence: float
    candidates: list[dict[str, object]] = field(default_factory=list)
    link: str | None = None
    handoff_offered: bool = False


def _binary_looking(text: str) -> bool:
    bad = sum(
        1
        for ch in text
        if ch == "\ufffd" or (unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\t")
    )
    return bad > 0


def question_clean(text: object) -> str:
    """The question, stripped; refuses empty, too long and binary-looking text."""
    if not isinstance(text, str) or not text.strip():
        raise validation_error("text", gettext_lazy("write a question"))
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise validation_error("text", gettext_lazy("at most 500 characters"))
    if _binary_looking(text):
        raise validation_error("text", gettext_lazy("the question contains unreadable characters"))
    return text


def language_of(text: str, wanted: str | None = None) -> str:
    if wanted in ("zh-hans", "en"):
        return wanted
    return "zh-hans" if CJK.search(text) else "en"


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _rank(shop: Shop, text: str, language: str) -> list[tuple[float, Entry]]:
    entries = Entry.objects.filter(shop=shop, state=EntryState.PUBLISHED).prefetch_related(
        "phrasings"
    )
    asked = _fold(text)
    scored = []
    for entry in entries:
        texts = [entry.question_zh, entry.question_en] + [p.text for p in entry.phrasings.all()]
        best = max(
            (difflib.SequenceMatcher(None, asked, _fold(t)).ratio() for t in texts if t),
            default=0.0,
        )
        scored.append((best, entry))
    scored.sort(key=lambda pair: (-pair[0], pair[1].key))
    return scored


def _question(entry: Entry, language: str) -> str:
    return (entry.question_en if language == "en" else entry.question_zh) or entry.question_zh


def answer_of(entry: Entry, language: str) -> str:
    return (entry.answer_en if language == "en" else entry.answer_zh) or entry.answer_zh


@transaction.atomic
def ask(
    *,
    shop: Shop,
    text: str,
    member: Member | None = None,
    language: str | None = None,
    channel: str = "portal",
) -> Reply:
    text = question_clean(text)
    if member is not None and member.shop_id != shop.pk:
        raise validation_error("member", gettext_lazy("unknown member"))
    lang = language_of(text, language)
    now = clock.now()
    found = intent_answer(IntentQuestion(shop=shop, text=text, language=lang, member=member))
    with translation.override(lang):
        if found is not None:
            asked = Asked.objects.create(
                shop=shop,
                member=member,
                channel=channel,
                text=text,
                language=lang,
                outcome=Outcome.MEMBER_DATA,
                confidence=1.0,
                created_at=now,
            )
            return Reply(
                asked_id=asked.pk,
                outcome=Outcome.MEMBER_DATA,
                language=lang,
                text=found.text,
                entry_key=None,
                confidence=1.0,
                link=found.link,
                handoff_offered=found.handoff_offered,
            )
        ranked = _rank(shop, text, lang)
        top = ranked[0][0] if ranked else 0.0
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        candidates = [
            {"key": e.key, "question": _question(e, lang), "score": round(s, 3)}
            for s, e in ranked[:3]
        ]
        entry: Entry | None = None
        if top < IN_SCOPE:
            outcome, reply = (
                Outcome.OUT_OF_SCOPE,
                _("Sorry, that is not something I can help with here."),
            )
            candidates = []
        elif top >= CONFIDENT and top - second >= MARGIN:
            entry = ranked[0][1]
            outcome, reply = Outcome.ANSWERED, answer_of(entry, lang)
            candidates = candidates[1:]
        else:
            outcome = Outcome.UNSURE
            reply = _("I am not sure I understood. Did you mean one of these?")
            candidates = candidates[:2]
        asked = Asked.objects.create(
            shop=shop,
            member=member,
            channel=channel,
            text=text,
            language=lang,
            outcome=outcome,
            entry=entry,
            confidence=round(top, 3),
            candidates=[{"key": c["key"], "score": c["score"]} for c in candidates],
            created_at=now,
        )
    return Reply(
        asked_id=asked.pk,
        outcome=outcome,
        language=lang,
        text=reply,
        entry_key=entry.key if entry else None,
        confidence=round(top, 3),
        candidates=candidates,
        link=None,
        handoff_offered=outcome != Outcome.ANSWERED,
    )


def feedback(*, asked_id: int, helpful: bool, member: Member | None) -> None:
    """Marks an answer helpful or not; only the member who asked may."""
    updated = Asked.objects.filter(pk=asked_id, member=member).update(helpful=helpful)
    if not updated:
        raise PatronError(ErrorCode.NOT_FOUND, gettext_lazy("no such question"), field="asked")
