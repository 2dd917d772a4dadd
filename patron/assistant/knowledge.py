"""Writes to the knowledge base: entries and their phrasings, from the FAQ
file or the console, and the learning loop's resolutions of asked
questions. Each write is one transaction and leaves an audit entry; every
change moves the entry's ``updated_at``, which is what tells the engine
cache (``selectors.engine_for``) that the shop's knowledge base changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.db.models import Q

from patron.assistant.faq import EntryDraft, draft_check
from patron.assistant.models import (
    Asked,
    Entry,
    EntryState,
    Language,
    Outcome,
    Phrasing,
    PhrasingSource,
)
from patron.core import clock
from patron.core.errors import ErrorCode, PatronError, validation_error
from patron.core.models import Shop
from patron.core.services import audit_record

Actor = User | AnonymousUser | None

#: what the learning loop shows: questions the assistant could not answer well
OPEN_OUTCOMES = (Outcome.UNSURE, Outcome.OUT_OF_SCOPE, Outcome.HANDED_OFF)


def open_asked_filter() -> Q:
    return Q(resolved_at__isnull=True) & (Q(outcome__in=OPEN_OUTCOMES) | Q(helpful=False))


def _snapshot(entry: Entry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "category": entry.category,
        "state": entry.state,
        "question_zh": entry.question_zh,
        "question_en": entry.question_en,
        "answer_zh": entry.answer_zh,
        "answer_en": entry.answer_en,
        "phrasings": sorted(entry.phrasings.values_list("language", "text")),
    }


def _phrasings_add(
    entry: Entry, phrasings: dict[str, list[str]], source: str, *, keep: bool = True
) -> int:
    """Adds the phrasings ``entry`` lacks; with ``keep=False`` also removes
    the ones not listed (the console's edit form is the whole list)."""
    now = clock.now()
    have = set(entry.phrasings.values_list("language", "text"))
    wanted = {(lang, text) for lang, texts in phrasings.items() for text in texts}
    if not keep:
        gone = have - wanted
        for lang, text in gone:
            entry.phrasings.filter(language=lang, text=text).delete()
    new = [
        Phrasing(entry=entry, language=lang, text=text, source=source, created_at=now)
        for lang, text in sorted(wanted - have)
        if text not in (entry.question_zh, entry.question_en)
    ]
    Phrasing.objects.bulk_create(new)
    return len(new)


def _apply(entry: Entry, draft: EntryDraft) -> None:
    for name in ("category", "question_zh", "question_en", "answer_zh", "answer_en"):
        setattr(entry, name, getattr(draft, name))


@transaction.atomic
def entry_create(
    *,
    shop: Shop,
    draft: EntryDraft,
    actor: Actor,
    state: str = EntryState.DRAFT,
    learned_from: Sequence[int] = (),
) -> Entry:
    """A new entry; ``learned_from``: open asked questions it was started from,
    which become its phrasings and are resolved with it."""
    draft_check(draft)
    if state not in EntryState.values:
        raise validation_error("state", "draft or published")
    if Entry.objects.filter(shop=shop, key=draft.key).exists():
        raise validation_error("key", f"{draft.key!r} is taken in this shop")
    now = clock.now()
    entry = Entry(shop=shop, key=draft.key, state=state, created_at=now, updated_at=now)
    _apply(entry, draft)
    entry.save()
    _phrasings_add(entry, draft.phrasings, PhrasingSource.OPERATOR)
    audit_record(actor=actor, action="assistant_entry.create", obj=entry, after=_snapshot(entry))
    if learned_from:
        _resolve(shop=shop, asked_ids=learned_from, entry=entry, actor=actor)
    return entry


@transaction.atomic
def entry_update(*, entry: Entry, draft: EntryDraft, actor: Actor) -> Entry:
    """Edits an entry's texts and its whole list of phrasings (the key stays)."""
    draft_check(draft)
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    before = _snapshot(entry)
    _apply(entry, draft)
    entry.updated_at = clock.now()
    entry.save()
    _phrasings_add(entry, draft.phrasings, PhrasingSource.OPERATOR, keep=False)
    after = _snapshot(entry)
    if after != before:
        audit_record(
            actor=actor, action="assistant_entry.update", obj=entry, before=before, after=after
        )
    return entry


@transaction.atomic
def entry_state_set(*, entry: Entry, state: str, actor: Actor) -> Entry:
    """Publishes (members get it as an answer) or takes back to draft."""
    if state not in EntryState.values:
        raise validation_error("state", "draft or published")
    entry = Entry.objects.select_for_update().get(pk=entry.pk)
    if entry.state == state:
        return entry
    if state == EntryState.PUBLISHED and not (entry.answer_zh or entry.answer_en):
        raise validation_error("state", "an entry without an answer cannot be published")
    before = entry.state
    entry.state = state
    entry.updated_at = clock.now()
    entry.save(update_fields=["state", "updated_at"])
    audit_record(
        actor=actor,
        action="assistant_entry.publish"
        if state == EntryState.PUBLISHED
        else "assistant_entry.unpublish",
        obj=entry,
        before={"state": before},
        after={"state": state},
    )
    return entry


@dataclass(frozen=True)
class FaqLoaded:
    created: int
    updated: int
    unchanged: int
    phrasings_added: int


@transaction.atomic
def faq_load(*, shop: Shop, drafts: Iterable[EntryDraft], actor: Actor = None) -> FaqLoaded:
    """Upserts by key: new entries are created published, changed texts are
    replaced, phrasings are only added (an operator's own stay). Loading the
    same file twice changes nothing and says so."""
    created = updated = unchanged = added = 0
    now = clock.now()
    fields = ("category", "question_zh", "question_en", "answer_zh", "answer_en")
    existing = {e.key: e for e in Entry.objects.select_for_update().filter(shop=shop)}
    for draft in drafts:
        draft_check(draft)
        entry = existing.get(draft.key)
        changed = False
        new = entry is None
        if entry is None:
            entry = Entry(
                shop=shop, key=draft.key, state=EntryState.PUBLISHED, created_at=now, updated_at=now
            )
            _apply(entry, draft)
            entry.save()
            created += 1
            existing[draft.key] = entry
        else:
            before = [getattr(entry, k) for k in fields]
            _apply(entry, draft)
            changed = [getattr(entry, k) for k in fields] != before
            updated += changed
        n = _phrasings_add(entry, draft.phrasings, PhrasingSource.FAQ)
        added += n
        if changed or (n and entry.updated_at != now):
            entry.updated_at = now
            entry.save()
        if not new and not changed and not n:
            unchanged += 1
    result = FaqLoaded(created=created, updated=updated, unchanged=unchanged, phrasings_added=added)
    if created or updated or added:
        audit_record(
            actor=actor,
            action="assistant_faq.load",
            object_type="assistant.entry",
            object_repr="FAQ file",
            after=asdict(result),
            shop=shop,
        )
    return result


def _open_rows(shop: Shop, asked_ids: Sequence[int]) -> list[Asked]:
    ids = sorted({int(i) for i in asked_ids})
    if not ids:
        raise validation_error("asked", "choose at least one question")
    rows = list(
        Asked.objects.select_for_update()
        .filter(open_asked_filter(), shop=shop, pk__in=ids)
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise validation_error("asked", "a question is not open in this shop any more")
    return rows


def _resolve(*, shop: Shop, asked_ids: Sequence[int], entry: Entry | None, actor: Actor) -> int:
    """Resolves the asked questions; with ``entry`` their texts become its
    learned phrasings (in the language each was asked in)."""
    rows = _open_rows(shop, asked_ids)
    now = clock.now()
    added = 0
    if entry is not None:
        wanted: dict[str, list[str]] = {}
        for row in rows:
            language = row.language if row.language in Language.values else Language.ZH
            wanted.setdefault(language, []).append(row.text.strip()[:200])
        added = _phrasings_add(entry, wanted, PhrasingSource.LEARNED)
        if added:
            Entry.objects.filter(pk=entry.pk).update(updated_at=now)
    Asked.objects.filter(pk__in=[r.pk for r in rows]).update(resolved_at=now, resolved_entry=entry)
    audit_record(
        actor=actor,
        action="assistant_asked.learn" if entry is not None else "assistant_asked.dismiss",
        object_type="assistant.asked",
        object_id=",".join(str(r.pk) for r in rows)[:64],
        object_repr=rows[0].text[:200],
        after={
            "asked": [r.pk for r in rows],
            "entry": entry.key if entry else None,
            "phrasings_added": added,
        },
        shop=shop,
    )
    return len(rows)


@transaction.atomic
def asked_learn(*, shop: Shop, asked_ids: Sequence[int], entry: Entry, actor: Actor) -> int:
    """ "Add as a phrasing of entry X": the group's questions become phrasings."""
    if entry.shop_id != shop.pk:
        raise PatronError(ErrorCode.NOT_FOUND, "no such entry", field="entry")
    return _resolve(shop=shop, asked_ids=asked_ids, entry=entry, actor=actor)


@transaction.atomic
def asked_dismiss(*, shop: Shop, asked_ids: Sequence[int], actor: Actor) -> int:
    """Nothing to learn from these (spam, a one-off): off the list."""
    return _resolve(shop=shop, asked_ids=asked_ids, entry=None, actor=actor)
