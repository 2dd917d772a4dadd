"""``patron assistant-eval FILE.tsv [FILE.tsv ...]``: how well the engine
answers question sets (lines ``expected_id<TAB>lang<TAB>question``; ``none``
for questions it should hand off), each set reported on its own -- the dev set
the engine is tuned on and the held-out set it never is -- against the FAQ as
a shop runs it (questions and also_asked phrasings indexed). With
``--also-asked-loo`` it also asks each also_asked phrasing of the FAQ of an
engine built without that one phrasing (leave-one-out). Builds the engine from
a FAQ file, not the database, so the figures depend only on the files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from patron.assistant.engine import Engine
from patron.assistant.engine.evaluate import DevSetError, Figures, evaluate, read_devset
from patron.assistant.engine.faqfile import DEFAULT_FAQ, FaqError, docs_from_faq, read_faq
from patron.assistant.engine.filler import filler_docs, filler_terms
from patron.assistant.engine.loo import evaluate_also_asked


def run_eval_sets(
    devsets: Sequence[Path],
    *,
    faq: Path = DEFAULT_FAQ,
    leave_out_also_asked: bool = False,
    entries: int = 0,
) -> tuple[list[Figures], int]:
    """The figures of each set (one engine for all), and the number of
    entries in the knowledge base (the FAQ's, padded with generated ones up
    to ``entries``)."""
    try:
        docs = docs_from_faq(read_faq(faq), leave_out_also_asked=leave_out_also_asked)
        known = {d.key for d in docs}
        sets = [read_devset(path, known) for path in devsets]
    except (FaqError, DevSetError) as exc:
        raise CommandError(str(exc)) from exc
    terms: list[str] = []
    if entries > len(docs):
        docs += filler_docs(entries - len(docs))
        terms = filler_terms()
    engine = Engine(docs, terms=terms)
    return [evaluate(engine, cases) for cases in sets], len(docs)


def run_eval(
    devset: Path,
    *,
    faq: Path = DEFAULT_FAQ,
    leave_out_also_asked: bool = False,
    entries: int = 0,
) -> tuple[Figures, int]:
    """One set's figures and the knowledge base's size."""
    figures, size = run_eval_sets(
        [devset], faq=faq, leave_out_also_asked=leave_out_also_asked, entries=entries
    )
    return figures[0], size


def run_also_asked_loo(
    *, faq: Path = DEFAULT_FAQ, entries: int = 0, every: int = 1
) -> tuple[Figures, int]:
    """Leave-one-out over the FAQ's also_asked phrasings (every ``every``-th
    one), and the knowledge base's size (padded up to ``entries``)."""
    try:
        faq_entries = read_faq(faq)
    except FaqError as exc:
        raise CommandError(str(exc)) from exc
    extra = filler_docs(entries - len(faq_entries)) if entries > len(faq_entries) else []
    terms = filler_terms() if extra else []
    figures = evaluate_also_asked(faq_entries, extra=extra, terms=terms, every=every)
    return figures, len(faq_entries) + len(extra)


class Command(BaseCommand):
    help = "Measure the assistant's answers on a development set (TSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "devsets",
            nargs="*",
            type=Path,
            help="expected_id<TAB>lang<TAB>question lines; several files are reported apart",
        )
        parser.add_argument("--faq", type=Path, default=DEFAULT_FAQ, help="FAQ file (YAML)")
        parser.add_argument(
            "--leave-out-also-asked",
            action="store_true",
            help="index only each entry's question, not its also_asked phrasings "
            "(default: index them, as a shop does)",
        )
        parser.add_argument(
            "--also-asked-loo",
            action="store_true",
            help="also ask each also_asked phrasing of an engine built without it",
        )
        parser.add_argument(
            "--loo-every",
            type=int,
            default=1,
            help="with --also-asked-loo: ask only every N-th phrasing (1: all)",
        )
        parser.add_argument(
            "--entries",
            type=int,
            default=0,
            help="pad the knowledge base with generated product entries up to this many",
        )
        parser.add_argument("--misses", action="store_true", help="list every miss")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["entries"] < 0 or options["entries"] > 2000:
            raise CommandError("--entries must be between 0 and 2000")
        if options["loo_every"] < 1:
            raise CommandError("--loo-every must be at least 1")
        devsets: list[Path] = options["devsets"]
        if not devsets and not options["also_asked_loo"]:
            raise CommandError("give a dev set file, or --also-asked-loo")
        reports: list[tuple[str, Figures]] = []
        size = 0
        if devsets:
            results, size = run_eval_sets(
                devsets,
                faq=options["faq"],
                leave_out_also_asked=options["leave_out_also_asked"],
                entries=options["entries"],
            )
            reports += [
                (str(path), figures) for path, figures in zip(devsets, results, strict=True)
            ]
        if options["also_asked_loo"]:
            figures, size = run_also_asked_loo(
                faq=options["faq"], entries=options["entries"], every=options["loo_every"]
            )
            every = options["loo_every"]
            sampled = f", every {every}th phrasing" if every > 1 else ""
            reports.append((f"also_asked leave-one-out{sampled}", figures))
        self.stdout.write(f"knowledge base: {size} entries")
        for name, figures in reports:
            if len(reports) > 1:
                self.stdout.write(f"== {name}")
            for line in figures.lines():
                self.stdout.write(line)
            if options["misses"]:
                for miss in figures.misses:
                    self.stdout.write(f"  {miss}")
