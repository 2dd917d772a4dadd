"""Reads of the assistant: the knowledge base as the engine sees it (one
engine per shop, cached in the process and rebuilt when the shop's published
entries change), entry lists for the console, and the learning loop's open
questions grouped by similarity."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet

#: Doc, Engine and normalize; tests hand in a small stand-in (monkeypatch)
from patron.assistant import engine as engine_package
from patron.assistant.knowledge import open_asked_filter
from patron.assistant.models import Asked, Entry, EntryState, Language
from patron.promotions.models import CouponTemplate
from patron.rewards.models import Reward
from patron.tiers.models import Tier

# -- the engine of a shop ---------------------------------------------------------

_engines: dict[int, tuple[tuple[Any, ...], Any]] = {}
_lock = threading.Lock()


def kb_version(shop_id: int) -> tuple[Any, ...]:
    """Changes whenever a published entry is added, edited, gets a phrasing
    or is taken back (each write moves ``updated_at``; unpublishing lowers
    the count)."""
    found = Entry.objects.filter(shop_id=shop_id, state=EntryState.PUBLISHED).aggregate(
        latest=Max("updated_at"), n=Count("id")
    )
    return (found["latest"], found["n"])


def shop_terms(shop_id: int) -> list[str]:
    """The shop's own words for the segmenter: tier, reward and coupon names."""
    names: set[str] = set()
    names |= set(Tier.objects.filter(shop_id=shop_id).values_list("name", flat=True))
    names |= set(Reward.objects.filter(shop_id=shop_id).values_list("name", flat=True)[:500])
    names |= set(
        CouponTemplate.objects.filter(shop_id=shop_id).values_list("name", flat=True)[:500]
    )
    return sorted(n.strip() for n in names if n and n.strip() and len(n.strip()) <= 30)


def docs_of(shop_id: int) -> list[Any]:
    """The shop's published entries as engine documents: per language the
    question first, then its phrasings."""
    doc = engine_package.Doc
    entries = (
        Entry.objects.filter(shop_id=shop_id, state=EntryState.PUBLISHED)
        .prefetch_related("phrasings")
        .order_by("key")
    )
    docs = []
    for entry in entries:
        texts: dict[str, list[str]] = {
            Language.ZH: [entry.question_zh] if entry.question_zh else [],
            Language.EN: [entry.question_en] if entry.question_en else [],
        }
        for p in sorted(entry.phrasings.all(), key=lambda p: p.pk):
            texts.setdefault(p.language, []).append(p.text)
        answers: dict[str, str] = {
            language: text
            for language, text in ((Language.ZH, entry.answer_zh), (Language.EN, entry.answer_en))
            if text
        }
        docs.append(doc(key=entry.key, category=entry.category, texts=texts, answers=answers))
    return docs


def engine_for(shop_id: int) -> Any:
    """The shop's engine; built again only when ``kb_version`` moved."""
    version = kb_version(shop_id)
    cached = _engines.get(shop_id)
    if cached is not None and cached[0] == version:
        return cached[1]
    engine = engine_package.Engine(docs_of(shop_id), terms=shop_terms(shop_id))
    with _lock:
        _engines[shop_id] = (version, engine)
    return engine


def engines_forget() -> None:
    """Drops every cached engine (tests; a process that must start afresh)."""
    with _lock:
        _engines.clear()


# -- entries for the console ------------------------------------------------------


def entries_search(
    shop_id: int, *, query: str = "", category: str = "", state: str = ""
) -> QuerySet[Entry]:
    found = Entry.objects.filter(shop_id=shop_id)
    if category:
        found = found.filter(category=category)
    if state in EntryState.values:
        found = found.filter(state=state)
    if query:
        found = found.filter(
            Q(key__icontains=query)
            | Q(question_zh__icontains=query)
            | Q(question_en__icontains=query)
            | Q(answer_zh__icontains=query)
            | Q(answer_en__icontains=query)
            | Q(phrasings__text__icontains=query)
        ).distinct()
    return found.annotate(n_phrasings=Count("phrasings")).order_by("category", "key")


def categories_of(shop_id: int) -> list[str]:
    return sorted(set(Entry.objects.filter(shop_id=shop_id).values_list("category", flat=True)))


def entry_get(shop_id: int, entry_id: int) -> Entry | None:
    return Entry.objects.filter(shop_id=shop_id, pk=entry_id).first()


# -- the learning loop ------------------------------------------------------------

#: how many open questions the page groups (newest first)
LEARN_WINDOW = 500
#: character-bigram Jaccard at or above which two questions are one group
SIMILAR = 0.4


def _bigrams(text: str) -> frozenset[str]:
    squeezed = "".join(ch for ch in text if ch.isalnum())
    if len(squeezed) < 2:
        return frozenset({squeezed}) if squeezed else frozenset()
    return frozenset(squeezed[i : i + 2] for i in range(len(squeezed) - 1))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard of the two questions' character bigrams (after ``normalize``)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class LearnGroup:
    rows: list[Asked]
    #: the entry an operator most likely means (pre-selected), if any
    suggested: str | None

    @property
    def text(self) -> str:
        return self.rows[0].text

    @property
    def ids(self) -> list[int]:
        return [r.pk for r in self.rows]


def _suggested(rows: list[Asked], keys: dict[int, str]) -> str | None:
    votes: Counter[str] = Counter()
    for row in rows:
        if row.entry_id is not None and row.entry_id in keys:
            votes[keys[row.entry_id]] += 2  # answered, "did not help": still the likely topic
        if row.candidates:
            first = row.candidates[0]
            if isinstance(first, dict) and isinstance(first.get("key"), str):
                votes[first["key"]] += 1
    return votes.most_common(1)[0][0] if votes else None


def learn_groups(shop_id: int) -> list[LearnGroup]:
    """The open questions (unsure, refused, handed off, or "did not help"),
    grouped greedily: a question joins the first group whose first question
    is similar enough. Biggest groups first, then the newest."""
    rows = list(
        Asked.objects.filter(open_asked_filter(), shop_id=shop_id).order_by("-created_at", "-pk")[
            :LEARN_WINDOW
        ]
    )
    normalize = engine_package.normalize if rows else str
    groups: list[tuple[frozenset[str], list[Asked]]] = []
    for row in rows:
        grams = _bigrams(normalize(row.text))
        for head, members in groups:
            if similarity(head, grams) >= SIMILAR:
                members.append(row)
                break
        else:
            groups.append((grams, [row]))
    keys = dict(Entry.objects.filter(shop_id=shop_id).values_list("pk", "key"))
    result = [
        LearnGroup(rows=members, suggested=_suggested(members, keys)) for _h, members in groups
    ]
    result.sort(key=lambda g: (-len(g.rows), -g.rows[0].created_at.timestamp()))
    return result
