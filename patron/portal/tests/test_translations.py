"""The Chinese catalogue is complete and its compiled .mo is current."""

from __future__ import annotations

from patron.portal import translations


def test_there_is_a_chinese_catalogue() -> None:
    names = [p.parent.parent.name for p in translations.catalogues()]
    assert "zh_Hans" in names


def test_every_entry_is_translated_and_none_is_fuzzy() -> None:
    for po in translations.catalogues():
        missing = translations.untranslated(po)
        assert missing == [], (
            f"{po}: translate these (then `patron compile-translations`): {missing[:20]}"
        )


def test_compiled_catalogue_matches_the_po_file() -> None:
    for po in translations.catalogues():
        wrong = translations.stale(po)
        assert wrong == [], (
            f"{po.with_suffix('.mo')} is stale; run `patron compile-translations`: {wrong[:20]}"
        )
