from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patron.assistant.faq import DEMO_FAQ, faq_parse
from patron.assistant.models import Entry, EntryState, Phrasing, PhrasingSource
from patron.core.errors import PatronError
from patron.core.models import AuditLog, Shop

pytestmark = pytest.mark.django_db


def _load(path: Path, shop: Shop) -> str:
    out = StringIO()
    call_command("load_faq", str(path), shop=shop.name, stdout=out)
    return out.getvalue()


def test_load_faq_loads_the_42_entries_of_the_repo_copy_published(shop: Shop) -> None:
    said = _load(DEMO_FAQ, shop)

    assert "42 entries in faq.yaml: 42 created, 0 updated, 0 unchanged" in said
    entries = Entry.objects.filter(shop=shop)
    assert entries.count() == 42
    assert set(entries.values_list("state", flat=True)) == {EntryState.PUBLISHED}
    earn = entries.get(key="points-earn")
    assert earn.question_zh == "如何获得积分？" and earn.question_en == "How do I earn points?"
    assert sorted(earn.phrasings.values_list("language", "text")) == [
        ("en", "Do I get points when I shop?"),
        ("en", "How are points calculated?"),
        ("zh-hans", "买东西送积分吗"),
        ("zh-hans", "怎么赚积分"),
        ("zh-hans", "积分是怎么算的"),
    ]
    assert AuditLog.objects.filter(shop=shop, action="assistant_faq.load").count() == 1


def test_load_faq_twice_changes_nothing_and_keeps_an_operators_phrasings(shop: Shop) -> None:
    _load(DEMO_FAQ, shop)
    phrasings = Phrasing.objects.count()
    earn = Entry.objects.get(shop=shop, key="points-earn")
    Phrasing.objects.create(
        entry=earn,
        language="zh-hans",
        text="积分咋来的",
        source=PhrasingSource.OPERATOR,
        created_at=earn.created_at,
    )

    said = _load(DEMO_FAQ, shop)

    assert "0 created, 0 updated, 42 unchanged, 0 phrasings added" in said
    assert Phrasing.objects.count() == phrasings + 1
    assert AuditLog.objects.filter(shop=shop, action="assistant_faq.load").count() == 1


def test_load_faq_updates_a_changed_answer_and_adds_new_phrasings(
    shop: Shop, tmp_path: Path
) -> None:
    _load(DEMO_FAQ, shop)
    text = DEMO_FAQ.read_text(encoding="utf-8")
    changed = text.replace("每实付1元得1积分", "每实付1元得2积分", 1).replace(
        '["怎么赚积分",', '["积分咋赚", "怎么赚积分",', 1
    )
    assert changed != text
    path = tmp_path / "faq.yaml"
    path.write_text(changed, encoding="utf-8")

    said = _load(path, shop)

    assert "0 created, 1 updated, 41 unchanged, 1 phrasings added" in said
    earn = Entry.objects.get(shop=shop, key="points-earn")
    assert earn.answer_zh.startswith("每实付1元得2积分")
    assert earn.phrasings.filter(text="积分咋赚").exists()


def test_a_malformed_file_is_refused_naming_the_place_and_nothing_is_written(
    shop: Shop, tmp_path: Path
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "- id: ok-one\n  category: points\n  question: {zh: 问}\n  answer: {zh: 答}\n"
        "- id: Bad Key\n  category: points\n  question: {zh: 问}\n  answer: {zh: 答}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="key"):
        _load(path, shop)
    assert not Entry.objects.exists()


def test_a_repeated_id_and_a_question_without_answer_are_refused() -> None:
    with pytest.raises(PatronError, match="twice"):
        faq_parse("- {id: a, category: x, question: {en: Q}, answer: {en: A}}\n" * 2)
    with pytest.raises(PatronError) as caught:
        faq_parse("- {id: a, category: x, question: {en: Q, zh: 问}, answer: {en: A}}\n")
    assert caught.value.field == "answer_zh"
