"""The layer contracts (pyproject.toml, DESIGN.md "Layers: who may import whom").

``make layers`` runs them in CI; these tests show that they pass on the tree and
that they catch an upward import, even one hidden inside a function, in a
scratch copy of the tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "patron"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so grimp finds the copy's ``patron`` package, not the
    # editable install of the real one.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603 (fixed argv, no shell)
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def scratch_tree(tmp_path: Path) -> Path:
    shutil.copytree(
        PACKAGE,
        tmp_path / "patron",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "locale"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _append(path: Path, code: str) -> None:
    path.write_text(path.read_text() + "\n\n" + code)


def test_the_tree_keeps_every_contract(scratch_tree: Path) -> None:
    result = _lint(scratch_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_inside_a_function_breaks_the_layers(scratch_tree: Path) -> None:
    # points sits below tiers: a function-level import does not dodge the check.
    _append(
        scratch_tree / "patron" / "points" / "selectors.py",
        "def _sneaky():\n    from patron.tiers import selectors\n\n    return selectors\n",
    )
    result = _lint(scratch_tree)
    assert result.returncode != 0
    assert "patron.points is not allowed to import patron.tiers" in result.stdout
    assert "patron.points.selectors -> patron.tiers.selectors" in result.stdout


def test_core_importing_any_app_breaks_the_ground_contract(scratch_tree: Path) -> None:
    _append(
        scratch_tree / "patron" / "core" / "money.py",
        "def _sneaky():\n    from patron.members import models\n\n    return models\n",
    )
    result = _lint(scratch_tree)
    assert result.returncode != 0
    assert "core imports nothing of Patron BROKEN" in result.stdout


def test_every_top_level_module_has_a_place_in_the_table() -> None:
    """A new app must be added to the contracts, or it would escape them."""
    contracts = _contracts()

    def names(contract: dict) -> set[str]:
        return {
            name.strip(" ()")
            for layer in contract["layers"]
            for name in layer.replace("|", ":").split(":")
        }

    present = {
        p.stem if p.suffix == ".py" else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert present - names(contracts["layers"]) == set()
    assert present - names(contracts["core-ground"]) == set()
