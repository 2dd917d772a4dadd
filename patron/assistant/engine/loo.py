"""Leave-one-out over the FAQ's own also_asked phrasings: each phrasing is
asked of an engine built from the whole knowledge base except that one
phrasing (its entry keeps its question and its other phrasings). It measures
how well an entry is found from a way of asking it that the index does not
hold verbatim, on phrasings the shop wrote, not the dev set's author."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from patron.assistant.engine.core import Doc, Engine
from patron.assistant.engine.evaluate import Case, Figures, record
from patron.assistant.engine.faqfile import also_asked, docs_from_faq

WARM_UP = "积分怎么用 how do points work"


def evaluate_also_asked(
    entries: list[dict[str, Any]],
    *,
    extra: Sequence[Doc] = (),
    terms: Sequence[str] = (),
    every: int = 1,
) -> Figures:
    """The figures of every ``every``-th also_asked phrasing (1: all of
    them) as a question, one engine built per phrasing without it; ``extra``
    entries (generated ones for a large knowledge base) are indexed too.
    Latency is the ranking alone, after one warm-up question on the same
    engine; the builds are not timed."""
    if every < 1:
        raise ValueError("every must be at least 1")
    figures = Figures()
    for number, phrasing in enumerate(also_asked(entries)[::every], start=1):
        docs = docs_from_faq(entries, without=phrasing) + list(extra)
        engine = Engine(docs, terms=terms)
        engine.rank(WARM_UP)  # the first call on an engine pays lazy setup
        case = Case(number, phrasing.key, phrasing.language, phrasing.text)
        started = time.perf_counter()
        ranking = engine.rank(phrasing.text)
        record(figures, case, ranking, (time.perf_counter() - started) * 1000)
    return figures
