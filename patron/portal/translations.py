"""Compile and check the translation catalogues without GNU gettext.

``patron compile-translations`` writes each ``django.mo`` beside its ``.po``
with polib (a dev dependency); the compiled files are committed, so a fresh
clone serves Chinese without gettext installed. The tests use the checks here
to fail on an untranslated or fuzzy entry, or on a ``.mo`` older than its ``.po``.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings


def catalogues() -> list[Path]:
    return sorted(
        p for root in settings.LOCALE_PATHS for p in Path(root).glob("*/LC_MESSAGES/django.po")
    )


def compile_catalogue(po_path: Path) -> Path:
    import polib

    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return mo_path


def untranslated(po_path: Path) -> list[str]:
    """msgids with no translation or marked fuzzy (obsolete entries do not count)."""
    import polib

    po = polib.pofile(str(po_path))
    bad = [e for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    return [e.msgid for e in bad]


def stale(po_path: Path) -> list[str]:
    """msgids whose translation in the compiled ``.mo`` differs from the ``.po``."""
    import polib

    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return ["<no .mo file>"]
    po = polib.pofile(str(po_path))
    mo = polib.mofile(str(mo_path))
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo
    }
    wrong = []
    for e in po:
        if e.obsolete or not e.translated() or "fuzzy" in e.flags:
            continue
        got = compiled.get((e.msgctxt, e.msgid))
        if got != (e.msgstr, tuple(sorted(e.msgstr_plural.items()))):
            wrong.append(e.msgid)
    return wrong
