"""A small stand-in for ``patron.assistant.engine`` (asstengine's branch
brings the real one): the interface of asst-common.md, ranking by shared
character bigrams so that tests can say which entry must come first."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from patron.assistant import selectors


@dataclass(frozen=True)
class Doc:
    key: str
    category: str
    texts: dict[str, list[str]]
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    key: str
    score: float


@dataclass(frozen=True)
class Ranking:
    language: str
    hits: list[Hit]
    confident: bool
    out_of_scope: bool


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _grams(text: str) -> set[str]:
    s = "".join(ch for ch in normalize(text) if ch.isalnum())
    return {s[i : i + 2] for i in range(len(s) - 1)}


class Engine:
    built = 0

    def __init__(self, docs: Sequence[Doc], *, terms: Sequence[str] = ()) -> None:
        Engine.built += 1
        self.docs = list(docs)
        self.terms = list(terms)

    def rank(self, question: str, *, language: str | None = None) -> Ranking:
        asked = _grams(question)
        scored = []
        for doc in self.docs:
            best = 0.0
            for texts in doc.texts.values():
                for text in texts:
                    g = _grams(text)
                    if g and asked:
                        best = max(best, len(asked & g) / len(asked | g))
            scored.append(Hit(doc.key, round(best, 4)))
        scored.sort(key=lambda h: (-h.score, h.key))
        hits = [h for h in scored if h.score > 0][:5]
        lang = language or ("zh-hans" if any("\u4e00" <= c <= "\u9fff" for c in question) else "en")
        top = hits[0].score if hits else 0.0
        second = hits[1].score if len(hits) > 1 else 0.0
        return Ranking(
            language=lang,
            hits=hits,
            confident=top >= 0.5 and top - second >= 0.1,
            out_of_scope=top < 0.1,
        )


@pytest.fixture
def fake_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    module = SimpleNamespace(Doc=Doc, Hit=Hit, Ranking=Ranking, Engine=Engine, normalize=normalize)
    monkeypatch.setattr(selectors, "engine_package", module)
    selectors.engines_forget()
    yield module
    selectors.engines_forget()
