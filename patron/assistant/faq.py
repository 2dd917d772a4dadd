"""The FAQ file format (``patron/assistant/data/faq.yaml``): a YAML list of
entries with ``id``, ``category``, ``question``/``answer`` in ``zh`` and
``en``, and ``also_asked`` phrasings per language. Parsed into plain
``EntryDraft`` values; a malformed entry is refused naming its position and
field, before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from patron.core.errors import validation_error

#: the demo shop's knowledge base, copied from ../shared/data/faq (issue 16)
DEMO_FAQ = Path(__file__).parent / "data" / "faq.yaml"

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CATEGORY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
QUESTION_MAX = 200
ANSWER_MAX = 4000
LANGUAGES = {"zh": "zh-hans", "en": "en"}


@dataclass(frozen=True)
class EntryDraft:
    key: str
    category: str
    question_zh: str
    question_en: str
    answer_zh: str
    answer_en: str
    #: language ('zh-hans' | 'en') -> other phrasings
    phrasings: dict[str, list[str]] = field(default_factory=dict)


def _text(value: Any, where: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise validation_error(where, "must be text")
    text = value.strip()
    if len(text) > limit:
        raise validation_error(where, f"longer than {limit} characters")
    return text


def draft_check(draft: EntryDraft) -> EntryDraft:
    """The rules an entry obeys whether it comes from a file or the console."""
    if not KEY.match(draft.key):
        raise validation_error("key", "lower-case letters, digits, - and _ (at most 64)")
    if not CATEGORY.match(draft.category):
        raise validation_error("category", "lower-case letters, digits, - and _ (at most 32)")
    if not (draft.question_zh or draft.question_en):
        raise validation_error("question_zh", "a question in at least one language")
    for lang, question, answer in (
        ("zh", draft.question_zh, draft.answer_zh),
        ("en", draft.question_en, draft.answer_en),
    ):
        if question and not answer:
            raise validation_error(f"answer_{lang}", "the question needs an answer")
        if answer and not question:
            raise validation_error(f"question_{lang}", "the answer needs its question")
        if len(question) > QUESTION_MAX:
            raise validation_error(f"question_{lang}", f"longer than {QUESTION_MAX} characters")
        if len(answer) > ANSWER_MAX:
            raise validation_error(f"answer_{lang}", f"longer than {ANSWER_MAX} characters")
    for language, texts in draft.phrasings.items():
        if language not in LANGUAGES.values():
            raise validation_error("phrasings", f"unknown language {language!r}")
        for text in texts:
            if not text or len(text) > QUESTION_MAX:
                raise validation_error(
                    "phrasings", f"each phrasing is 1 to {QUESTION_MAX} characters"
                )
    return draft


def _entry(raw: Any, n: int) -> EntryDraft:
    at = f"entry {n}"
    if not isinstance(raw, dict):
        raise validation_error(at, "must be a mapping")
    question = raw.get("question") or {}
    answer = raw.get("answer") or {}
    also = raw.get("also_asked") or {}
    if not all(isinstance(x, dict) for x in (question, answer, also)):
        raise validation_error(f"{at}.question", "question, answer and also_asked map zh/en")
    phrasings: dict[str, list[str]] = {}
    for short, language in LANGUAGES.items():
        items = also.get(short) or []
        if not isinstance(items, list):
            raise validation_error(f"{at}.also_asked.{short}", "must be a list")
        texts = [_text(t, f"{at}.also_asked.{short}", QUESTION_MAX) for t in items]
        phrasings[language] = list(dict.fromkeys(t for t in texts if t))
    draft = EntryDraft(
        key=_text(raw.get("id"), f"{at}.id", 64),
        category=_text(raw.get("category"), f"{at}.category", 32),
        question_zh=_text(question.get("zh"), f"{at}.question.zh", QUESTION_MAX),
        question_en=_text(question.get("en"), f"{at}.question.en", QUESTION_MAX),
        answer_zh=_text(answer.get("zh"), f"{at}.answer.zh", ANSWER_MAX),
        answer_en=_text(answer.get("en"), f"{at}.answer.en", ANSWER_MAX),
        phrasings=phrasings,
    )
    return draft_check(draft)


def faq_parse(text: str) -> list[EntryDraft]:
    """Every entry of a FAQ file; a repeated id is refused."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise validation_error("file", f"not valid YAML: {exc}") from exc
    if not isinstance(raw, list):
        raise validation_error("file", "a list of entries")
    drafts = [_entry(item, n) for n, item in enumerate(raw, start=1)]
    seen: set[str] = set()
    for draft in drafts:
        if draft.key in seen:
            raise validation_error("id", f"{draft.key!r} appears twice")
        seen.add(draft.key)
    return drafts
