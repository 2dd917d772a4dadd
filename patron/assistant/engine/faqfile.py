"""The FAQ file (the format of patron/assistant/data/faq.yaml) as engine
Docs, for the evaluation; the console's knowledge base is loaded by
``patron load-faq`` into the database instead."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from patron.assistant.engine.core import Doc

DEFAULT_FAQ = Path(__file__).resolve().parent.parent / "data" / "faq.yaml"
LANGUAGES = {"zh": "zh-hans", "en": "en"}


class FaqError(ValueError):
    pass


def read_faq(path: Path) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise FaqError(f"{path}: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(e, dict) and "id" in e for e in data):
        raise FaqError(f"{path}: expected a list of entries with an id")
    return data


@dataclass(frozen=True)
class Phrasing:
    """One also_asked phrasing of the FAQ: where it sits, and its text."""

    key: str
    language: str  # 'zh-hans' | 'en'
    position: int  # its index in the entry's also_asked list for that language
    text: str


def also_asked(entries: list[dict[str, Any]]) -> list[Phrasing]:
    """Every also_asked phrasing, in file order."""
    found = []
    for entry in entries:
        for short, lang in LANGUAGES.items():
            for position, text in enumerate((entry.get("also_asked") or {}).get(short) or []):
                if text:
                    found.append(Phrasing(str(entry["id"]), lang, position, str(text)))
    return found


def docs_from_faq(
    entries: list[dict[str, Any]],
    *,
    leave_out_also_asked: bool = False,
    without: Phrasing | None = None,
) -> list[Doc]:
    """One Doc per entry: its question in each language and its also_asked
    phrasings, as a shop's knowledge base holds them. ``leave_out_also_asked``
    drops every phrasing (the question alone); ``without`` drops one (a
    leave-one-out measurement asks that phrasing)."""
    docs = []
    for entry in entries:
        texts: dict[str, list[str]] = {}
        for short, lang in LANGUAGES.items():
            question = (entry.get("question") or {}).get(short)
            phrasings = [] if leave_out_also_asked else (entry.get("also_asked") or {}).get(short)
            phrasings = [
                t
                for position, t in enumerate(phrasings or [])
                if without is None
                or (without.key, without.language, without.position)
                != (str(entry["id"]), lang, position)
            ]
            texts[lang] = [t for t in [question, *phrasings] if t]
        answers = {
            lang: str(text)
            for short, lang in LANGUAGES.items()
            if (text := (entry.get("answer") or {}).get(short))
        }
        docs.append(
            Doc(
                key=str(entry["id"]),
                category=str(entry.get("category", "")),
                texts=texts,
                answers=answers,
            )
        )
    return docs
