"""Question -> tokens: jieba words (with the shop's terms in its dictionary),
Chinese character bigrams (a typo breaks one word but leaves most bigrams),
stemmed English words, synonyms folded onto one token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba

from patron.assistant.engine.lexicon import SHOP_TERMS, STOP_WORDS, SYNONYMS
from patron.assistant.engine.text import is_cjk

jieba.setLogLevel(logging.WARNING)

_RUNS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+")
_BIGRAM = "~"  # bigrams live apart from words: "积分" the word folds synonyms, "~积分" does not
_TERM_FREQ = 2_000_000  # high enough that jieba keeps a shop term in one piece


def stem(word: str) -> str:
    """A light English stemmer, enough to meet "points"/"point",
    "shipping"/"ship", "expired"/"expire"; applied to the index and the
    question alike, so it needs to be consistent, not correct."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix in ("ies", "ing", "ed", "es", "s", "e", "y"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us")):
                return word
            base = word[: -len(suffix)]
            if suffix in ("ies", "y"):
                base += "i"
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2]:
                base = base[:-1]
            return base
    return word


def _tokenizer(terms: Iterable[str]) -> jieba.Tokenizer:
    """A jieba tokenizer of its own, so one shop's product names never change
    how another shop's questions are cut. The main dictionary is shared
    (copied from the default tokenizer, loaded once per process)."""
    jieba.dt.check_initialized()
    tk = jieba.Tokenizer()
    tk.FREQ = dict(jieba.dt.FREQ)
    tk.total = jieba.dt.total
    tk.initialized = True
    for term in terms:
        term = term.strip()
        if term and any(is_cjk(ch) for ch in term):
            tk.add_word(term, freq=_TERM_FREQ)
    return tk


class Analyzer:
    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.canon: dict[str, str] = {}
        synonym_words: list[str] = []
        for group in SYNONYMS:
            head = self._word(group[0])
            for word in group:
                self.canon[self._word(word)] = head
                synonym_words.append(word)
        # Pure Python on short texts: jieba's tokenizer, no locks needed for reads.
        self.tokenizer = _tokenizer([*SHOP_TERMS, *synonym_words, *terms])

    @staticmethod
    def _word(word: str) -> str:
        return stem(word) if word.isascii() else word

    def words(self, text: str) -> list[str]:
        """jieba's cut of the Chinese runs, English words as they are."""
        out: list[str] = []
        for run in _RUNS.findall(text):
            if is_cjk(run[0]):
                out.extend(w for w in self.tokenizer.lcut(run, HMM=True) if w.strip())
            else:
                out.append(run)
        return out

    def tokens(self, text: str) -> list[str]:
        """Tokens of a normalized text (see text.normalize)."""
        out: list[str] = []
        for run in _RUNS.findall(text):
            if is_cjk(run[0]):
                for word in self.tokenizer.lcut(run, HMM=True):
                    if word.strip() and word not in STOP_WORDS:
                        out.append(self.canon.get(word, word))
                out.extend(_BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
            elif run not in STOP_WORDS:
                word = self._word(run)
                out.append(self.canon.get(word, word))
        return out


def is_bigram(token: str) -> bool:
    return token.startswith(_BIGRAM)
