"""Benchmarks on PostgreSQL: ``python -m bench.run [names...]`` (``make bench``).

Each ``bench/<topic>.py`` exposes ``run(args) -> str`` returning a markdown
section; ``bench/run.py`` lists them and writes ``docs/benchmarks.md``.
"""
