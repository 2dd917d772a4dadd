"""The engine: BM25 (bm25s) over every question and phrasing of the shop's
entries, an entry scoring as its best text, then a calibrated confidence
and the gate that decides between answering, offering two candidates and
refusing."""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import bm25s
import numpy as np

from patron.assistant.engine.analyzer import Analyzer, is_bigram
from patron.assistant.engine.text import detect_language, normalize

MAX_CHARS = 500
TOP_N = 5
# Tuned on docs/assistant/devset.tsv (see docs/assistant.md): answer when the
# best entry reaches THRESHOLD and leads the next by MARGIN; below
# OUT_OF_SCOPE nothing in the knowledge base is near and the assistant refuses.
THRESHOLD = 0.6
MARGIN = 0.1
OUT_OF_SCOPE = 0.3
logging.getLogger("bm25s").setLevel(logging.WARNING)

BIGRAM_WEIGHT = 0.5  # bigrams back words up; they should not outvote them
COVERAGE_POWER = 0.5
RELATIVE_POWER = 2.0
ANSWER_WEIGHT = 0.6  # an answer's words count for less than a question's
# A candidate whose own question names something the member's question does
# not (a product: "红酒的尺码怎么选" for "尺码怎么选") is about something else.
# Distinctive: a word in at most RARE_SHARE of the entries (but never fewer
# than RARE_MIN); its idf, missing from the question, weighs against the
# candidate by MISSING_WEIGHT (relative to the question's own weight).
RARE_SHARE = 0.01
RARE_MIN = 0
MISSING_WEIGHT = 0.5
# The shop's own names (Engine(terms=...): products, brands) are distinctive
# whatever their frequency: an entry about a named product the question does
# not name loses NAMED_WEIGHT x the name's idf (relative to the question's).
NAMED_WEIGHT = 2.0
POOL = 60  # BM25 candidates looked at before the penalty reorders them


@dataclass(frozen=True)
class Doc:
    key: str
    category: str
    texts: dict[str, list[str]]  # language ('zh-hans'|'en') -> [question, phrasings...]
    # Optional: the answers, indexed with less weight (a question often names
    # what only the answer mentions: "写评价给积分吗" -> points-earn).
    answers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    key: str
    score: float  # calibrated confidence, 0..1


@dataclass(frozen=True)
class Ranking:
    language: str
    hits: list[Hit]
    confident: bool
    out_of_scope: bool


def looks_binary(text: str) -> bool:
    """Control characters, replacement characters or private-use code points
    in a tenth of the text: pasted bytes, not a question."""
    if not text:
        return False
    odd = sum(
        1
        for ch in text
        if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\n\r") or 0xE000 <= ord(ch) <= 0xF8FF
    )
    return odd * 10 >= len(text)


class Engine:
    def __init__(self, docs: Sequence[Doc], *, terms: Sequence[str] = ()) -> None:
        self.analyzer = Analyzer(terms)
        self.keys: list[str] = []
        rows: list[int] = []
        row_weights: list[float] = []
        corpus: list[list[str]] = []
        self._doc_tokens: list[frozenset[str]] = []
        self._answer_tokens: list[frozenset[str]] = []
        row_words: list[list[frozenset[str]]] = []  # per entry: each question text's words
        for doc in docs:
            index = len(self.keys)
            self.keys.append(doc.key)
            seen: set[str] = set()
            answer_tokens: set[str] = set()
            own: list[frozenset[str]] = []
            for texts in doc.texts.values():
                for text in texts:
                    tokens = self.analyzer.tokens(normalize(text))
                    if tokens:
                        rows.append(index)
                        row_weights.append(1.0)
                        corpus.append(tokens)
                        seen.update(tokens)
                        own.append(frozenset(t for t in tokens if not is_bigram(t)))
            row_words.append(own)
            for answer in doc.answers.values():
                tokens = self.analyzer.tokens(normalize(answer))
                if tokens:
                    rows.append(index)
                    row_weights.append(ANSWER_WEIGHT)
                    corpus.append(tokens)
                    answer_tokens.update(tokens)
            self._doc_tokens.append(frozenset(seen))
            self._answer_tokens.append(frozenset(answer_tokens - seen))
        self._rows = np.array(rows, dtype=np.int64)
        self._row_weights = np.array(row_weights)
        df: Counter[str] = Counter()
        for asked, extra in zip(self._doc_tokens, self._answer_tokens, strict=True):
            df.update(asked | extra)
        n = max(len(self.keys), 1)
        # Entry-level idf weighs the query's words for the confidence: a word
        # that every entry has says little about which one is meant.
        self._idf = {t: math.log(1 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5) * 0.6
        rare = max(RARE_MIN, RARE_SHARE * n)
        names = {
            frozenset(t for t in self.analyzer.tokens(normalize(term)) if not is_bigram(t))
            for term in terms
        }
        names.discard(frozenset())
        # Per entry, per question text: the words that, missing from the
        # member's question, count against the entry, with their weight.
        self._distinctive: list[list[dict[str, float]]] = []
        for own in row_words:
            per_text = []
            for words in own:
                weights = {t: MISSING_WEIGHT * self._idf[t] for t in words if df[t] <= rare}
                for name in names:
                    if name <= words:
                        for t in name:
                            weights[t] = max(weights.get(t, 0.0), NAMED_WEIGHT * self._idf[t])
                per_text.append(weights)
            self._distinctive.append(per_text)
        self._retriever: bm25s.BM25 | None = None
        if corpus:
            self._retriever = bm25s.BM25()
            self._retriever.index(corpus, show_progress=False)
        self._fuzzy = self._fuzzy_index(t for t in df if t.isascii() and len(t) >= 4)

    @staticmethod
    def _deletes(word: str) -> set[str]:
        return {word[:i] + word[i + 1 :] for i in range(len(word))} | {word}

    def _fuzzy_index(self, words: object) -> dict[str, str]:
        index: dict[str, str] = {}
        for word in sorted(words):  # type: ignore[call-overload]
            for variant in self._deletes(word):
                index.setdefault(variant, word)
        return index

    def _correct(self, token: str) -> str:
        """An English word the index does not know, one typo away from one it
        does ("pionts", "refnd"), becomes that word."""
        if token in self._idf or not token.isascii() or len(token) < 4:
            return token
        for variant in sorted(self._deletes(token)):
            if variant in self._fuzzy:
                return self._fuzzy[variant]
        return token

    def _weight(self, token: str) -> float:
        idf = self._idf.get(token, self._unknown_idf)
        return idf * BIGRAM_WEIGHT if is_bigram(token) else idf

    def rank(self, question: str, *, language: str | None = None) -> Ranking:
        if looks_binary(question):
            return Ranking(language or "en", [], False, True)
        text = normalize(question)
        lang = language or detect_language(text)
        if not text or len(text) > MAX_CHARS or self._retriever is None:
            return Ranking(lang, [], False, True)
        tokens = [self._correct(t) for t in self.analyzer.tokens(text)]
        known = [t for t in tokens if t in self._idf]
        if not known:
            return Ranking(lang, [], False, True)
        scores = self._retriever.get_scores(known)
        # An entry scores as its best question text plus a share of its
        # answer's score: the answer adds evidence, it does not compete.
        asked = np.zeros(len(self.keys))
        answered = np.zeros(len(self.keys))
        is_answer = self._row_weights < 1.0
        np.maximum.at(asked, self._rows[~is_answer], scores[~is_answer])
        np.maximum.at(answered, self._rows[is_answer], scores[is_answer])
        best = asked + ANSWER_WEIGHT * answered
        words = [t for t in tokens if not is_bigram(t)] or tokens
        total = sum(self._weight(t) for t in words) or 1.0
        pool = np.argsort(-best)[:POOL]
        present = set(tokens)
        for i in pool:
            missing = min(
                (
                    sum(w for t, w in weights.items() if t not in present)
                    for weights in self._distinctive[i]
                ),
                default=0.0,
            )
            best[i] /= 1.0 + missing / total
        order = pool[np.argsort(-best[pool])][: TOP_N * 2]
        top = float(best[order[0]]) or 1.0
        hits: list[Hit] = []
        positions: dict[str, int] = {}
        for i in order:
            if best[i] <= 0:
                break
            covered = sum(
                self._weight(t) * (1.0 if t in self._doc_tokens[i] else ANSWER_WEIGHT)
                for t in words
                if t in self._doc_tokens[i] or t in self._answer_tokens[i]
            )
            coverage = covered / total
            relative = float(best[i]) / top
            score = coverage**COVERAGE_POWER * relative**RELATIVE_POWER
            if score > 0:
                hits.append(Hit(self.keys[i], round(min(score, 1.0), 4)))
                positions[self.keys[i]] = int(i)
        hits.sort(key=lambda h: -h.score)
        hits = hits[:TOP_N]
        # Words found only in an answer or only as bigrams ("汇率是多少" meets
        # "多少" in some answer) are not a question the shop answers.
        if (
            not hits
            or hits[0].score < OUT_OF_SCOPE
            or not any(
                t in self._doc_tokens[positions[hits[0].key]] for t in words if not is_bigram(t)
            )
        ):
            return Ranking(lang, hits, False, True)
        second = hits[1].score if len(hits) > 1 else 0.0
        confident = hits[0].score >= THRESHOLD and hits[0].score - second >= MARGIN
        return Ranking(lang, hits, confident, False)
