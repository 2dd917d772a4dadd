"""Fixtures of the intake tests."""

from __future__ import annotations

from typing import Any

import pytest

from patron.ingest import bulk


@pytest.fixture
def lane_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The events each run of the set-based lane applied, one number a run
    (``bulk._apply`` counted, then run as usual)."""
    applied: list[int] = []
    real_apply = bulk._apply

    def counting_apply(*args: Any, **kwargs: Any) -> dict[int, dict[str, Any]]:
        answers = real_apply(*args, **kwargs)
        applied.append(len(answers))
        return answers

    monkeypatch.setattr(bulk, "_apply", counting_apply)
    return applied
