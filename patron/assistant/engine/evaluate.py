"""Measure the engine on a development set: lines of
``expected_id<TAB>lang<TAB>question``, ``none`` for questions the assistant
should not answer (handed off or refused)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from patron.assistant.engine.core import Engine, Ranking


class DevSetError(ValueError):
    pass


@dataclass(frozen=True)
class Case:
    line: int
    expected: str  # an entry key or "none"
    language: str
    question: str


@dataclass
class Figures:
    in_scope: int = 0
    out_of_scope: int = 0
    top1: int = 0
    top3: int = 0
    answered_right: int = 0  # confident and right
    answered_wrong: int = 0  # confident and wrong: the worst outcome
    wrongly_handed_off: int = 0  # in scope, not answered
    none_handed_off: int = 0  # out of scope, not answered
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)

    @staticmethod
    def share(part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def lines(self) -> list[str]:
        n, m = self.in_scope, self.out_of_scope
        return [
            f"questions: {n} in scope, {m} out of scope",
            f"top-1 accuracy in scope: {self.share(self.top1, n):.1f} % ({self.top1}/{n})",
            f"top-3 accuracy in scope: {self.share(self.top3, n):.1f} % ({self.top3}/{n})",
            f"answered with confidence: {self.answered_right} right, {self.answered_wrong} wrong",
            f"in scope wrongly handed off: {self.share(self.wrongly_handed_off, n):.1f} % "
            f"({self.wrongly_handed_off}/{n})",
            f"none handed off: {self.share(self.none_handed_off, m):.1f} % "
            f"({self.none_handed_off}/{m})"
            if m
            else "none handed off: no out-of-scope questions",
            f"latency p50: {self.percentile(50):.2f} ms, p99: {self.percentile(99):.2f} ms",
        ]


def read_devset(path: Path, known: set[str] | None = None) -> list[Case]:
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DevSetError(f"{path}: {exc}") from exc
    cases = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0] or not parts[2].strip():
            raise DevSetError(f"{path}:{number}: expected expected_id<TAB>lang<TAB>question")
        expected, language, question = parts
        if known is not None and expected != "none" and expected not in known:
            raise DevSetError(f"{path}:{number}: unknown entry {expected!r}")
        cases.append(Case(number, expected, language, question))
    return cases


def evaluate(engine: Engine, cases: Sequence[Case], *, warmup: int = 5) -> Figures:
    for case in cases[:warmup]:
        engine.rank(case.question)
    figures = Figures()
    for case in cases:
        started = time.perf_counter()
        ranking: Ranking = engine.rank(case.question)
        record(figures, case, ranking, (time.perf_counter() - started) * 1000)
    return figures


def record(figures: Figures, case: Case, ranking: Ranking, latency_ms: float) -> None:
    """Count one question's outcome."""
    figures.latencies_ms.append(latency_ms)
    keys = [h.key for h in ranking.hits]
    answered = ranking.confident and not ranking.out_of_scope
    if case.expected == "none":
        figures.out_of_scope += 1
        if answered:
            figures.misses.append(f"{case.line}: none answered {keys[:1]}: {case.question}")
        else:
            figures.none_handed_off += 1
        return
    figures.in_scope += 1
    figures.top1 += keys[:1] == [case.expected]
    figures.top3 += case.expected in keys[:3]
    if not answered:
        figures.wrongly_handed_off += 1
    elif keys[0] == case.expected:
        figures.answered_right += 1
    else:
        figures.answered_wrong += 1
    if keys[:1] != [case.expected] or not answered:
        score = ranking.hits[0].score if ranking.hits else 0.0
        figures.misses.append(
            f"{case.line}: {case.expected} got {keys[:3]} {score:.2f}"
            f"{'' if answered else ' (handed off)'}: {case.question}"
        )


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
