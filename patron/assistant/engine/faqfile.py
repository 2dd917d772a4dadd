"""The FAQ file (the format of patron/assistant/data/faq.yaml) as engine
Docs, for the evaluation; the console's knowledge base is loaded by
``patron load-faq`` into the database instead."""

from __future__ import annotations

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


def docs_from_faq(entries: list[dict[str, Any]], *, leave_out_also_asked: bool = True) -> list[Doc]:
    """One Doc per entry: its question in each language, plus its also_asked
    phrasings unless they are left out (they are what a dev set built from
    them would ask, so keeping them would measure recall of the index)."""
    docs = []
    for entry in entries:
        texts: dict[str, list[str]] = {}
        for short, lang in LANGUAGES.items():
            question = (entry.get("question") or {}).get(short)
            phrasings = [] if leave_out_also_asked else (entry.get("also_asked") or {}).get(short)
            texts[lang] = [t for t in [question, *(phrasings or [])] if t]
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
