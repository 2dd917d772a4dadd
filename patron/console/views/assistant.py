"""The assistant's knowledge base in the console: entries (search, create,
edit with phrasings, publish) and the learning loop (open questions grouped
by similarity, each group turned into phrasings, a new entry, or dismissed).
Every write goes through ``patron.assistant.services`` and is audited."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from patron.assistant import selectors, services
from patron.assistant.faq import EntryDraft
from patron.assistant.models import Asked, Entry, EntryState, Language
from patron.console.auth import forbidden, operator_required, shop_id
from patron.core.errors import PatronError
from patron.core.models import Shop

VIEW = "assistant.view_entry"
ADD = "assistant.add_entry"
CHANGE = "assistant.change_entry"
VIEW_ASKED = "assistant.view_asked"
LEARN = "assistant.change_asked"
FIELDS = ("key", "category", "question_zh", "question_en", "answer_zh", "answer_en")
PAGE_SIZE = 200


def _lines(raw: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))


def _draft(request: HttpRequest, key: str | None = None) -> EntryDraft:
    data = {name: request.POST.get(name, "").strip() for name in FIELDS}
    return EntryDraft(
        key=key if key is not None else data["key"],
        category=data["category"],
        question_zh=data["question_zh"],
        question_en=data["question_en"],
        answer_zh=data["answer_zh"],
        answer_en=data["answer_en"],
        phrasings={
            Language.ZH: _lines(request.POST.get("phrasings_zh", "")),
            Language.EN: _lines(request.POST.get("phrasings_en", "")),
        },
    )


def _ids(raw: list[str]) -> list[int]:
    return [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) <= 18]


def _form(values: dict[str, str], entry: Entry | None) -> dict[str, str]:
    if entry is not None:
        values = {name: getattr(entry, name) for name in FIELDS}
        for language, name in ((Language.ZH, "phrasings_zh"), (Language.EN, "phrasings_en")):
            values[name] = "\n".join(
                entry.phrasings.filter(language=language)
                .order_by("pk")
                .values_list("text", flat=True)
            )
    return values


@operator_required(VIEW)
def entries_view(request: HttpRequest) -> HttpResponse:
    current = shop_id(request)
    query = request.GET.get("q", "").strip()[:100]
    category = request.GET.get("category", "")[:32]
    state = request.GET.get("state", "")
    entries = selectors.entries_search(current, query=query, category=category, state=state)
    return render(
        request,
        "console/assistant_entries.html",
        {
            "entries": entries[:PAGE_SIZE],
            "query": query,
            "category": category,
            "state": state,
            "categories": selectors.categories_of(current),
            "states": EntryState.choices,
            "can_add": request.user.has_perm(ADD),
            "can_learn": request.user.has_perm(VIEW_ASKED),
        },
    )


@operator_required(ADD)
def entry_new_view(request: HttpRequest) -> HttpResponse:
    """A new entry; ``?asked=<id>...`` starts it from a learning-loop group."""
    current = shop_id(request)
    source = request.POST if request.method == "POST" else request.GET
    asked_ids = _ids(source.getlist("asked"))
    learned = list(Asked.objects.filter(shop_id=current, pk__in=asked_ids).order_by("pk"))
    if request.method == "POST":
        try:
            entry = services.entry_create(
                shop=Shop.objects.get(pk=current),
                draft=_draft(request),
                actor=request.user,
                learned_from=[a.pk for a in learned],
            )
        except PatronError as exc:
            posted = {name: request.POST.get(name, "") for name in FIELDS}
            posted["phrasings_zh"] = request.POST.get("phrasings_zh", "")
            posted["phrasings_en"] = request.POST.get("phrasings_en", "")
            return _form_page(request, None, posted, learned, exc, status=422)
        messages.success(request, _("Entry %(key)s created as a draft.") % {"key": entry.key})
        return redirect("console:assistant_entry", entry_id=entry.pk)
    values: dict[str, str] = {}
    if learned:
        first = learned[0]
        values["question_zh" if first.language == Language.ZH else "question_en"] = first.text
    return _form_page(request, None, values, learned, None)


def _form_page(
    request: HttpRequest,
    entry: Entry | None,
    values: dict[str, str],
    learned: list[Asked],
    error: PatronError | None,
    status: int = 200,
) -> HttpResponse:
    if error is not None:
        messages.error(request, error.detail)
    return render(
        request,
        "console/assistant_entry.html",
        {
            "entry": entry,
            "values": values,
            "learned": learned,
            "error_field": error.field if error is not None else None,
            "can_edit": request.user.has_perm(CHANGE if entry is not None else ADD),
            "states": EntryState,
        },
        status=status,
    )


@operator_required(VIEW)
def entry_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    """One entry; an operator who may change it saves the form here."""
    entry = selectors.entry_get(shop_id(request), entry_id)
    if entry is None:
        raise Http404
    if request.method == "POST":
        if not request.user.has_perm(CHANGE):
            return forbidden(request)
        try:
            services.entry_update(
                entry=entry, draft=_draft(request, key=entry.key), actor=request.user
            )
        except PatronError as exc:
            values = {name: request.POST.get(name, "") for name in FIELDS}
            values["key"] = entry.key
            values["phrasings_zh"] = request.POST.get("phrasings_zh", "")
            values["phrasings_en"] = request.POST.get("phrasings_en", "")
            return _form_page(request, entry, values, [], exc, status=422)
        messages.success(request, _("Saved."))
        return redirect("console:assistant_entry", entry_id=entry.pk)
    return _form_page(request, entry, _form({}, entry), [], None)


@operator_required(CHANGE)
@require_POST
def entry_state_view(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_get(shop_id(request), entry_id)
    if entry is None:
        raise Http404
    try:
        services.entry_state_set(
            entry=entry, state=request.POST.get("state", ""), actor=request.user
        )
    except PatronError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Saved."))
    return redirect("console:assistant_entry", entry_id=entry.pk)


@operator_required(VIEW_ASKED)
def learn_view(request: HttpRequest) -> HttpResponse:
    current = shop_id(request)
    groups = selectors.learn_groups(current)
    entries = list(
        Entry.objects.filter(shop_id=current)
        .order_by("category", "key")
        .values("pk", "key", "question_zh", "question_en")
    )
    return render(
        request,
        "console/assistant_learn.html",
        {"groups": groups, "entries": entries, "can_learn": request.user.has_perm(LEARN)},
    )


@operator_required(LEARN)
@require_POST
def learn_act_view(request: HttpRequest) -> HttpResponse:
    """Resolves one group: ``action`` phrasing (with ``entry``), new, or dismiss."""
    current = shop_id(request)
    asked_ids = _ids(request.POST.getlist("asked"))
    action = request.POST.get("action", "")
    shop = Shop.objects.get(pk=current)
    if action == "new":
        query = "&".join(f"asked={i}" for i in asked_ids)
        return redirect(f"{reverse('console:assistant_entry_new')}?{query}")
    try:
        if action == "phrasing":
            wanted = _ids([request.POST.get("entry", "")])
            entry = selectors.entry_get(current, wanted[0]) if wanted else None
            if entry is None:
                messages.error(request, _("Choose the entry these questions belong to."))
                return redirect("console:assistant_learn")
            n = services.asked_learn(
                shop=shop, asked_ids=asked_ids, entry=entry, actor=request.user
            )
            messages.success(
                request,
                _("%(n)d questions added as phrasings of %(key)s.") % {"n": n, "key": entry.key},
            )
        elif action == "dismiss":
            n = services.asked_dismiss(shop=shop, asked_ids=asked_ids, actor=request.user)
            messages.success(request, _("%(n)d questions dismissed.") % {"n": n})
        else:
            messages.error(request, _("Choose what to do with these questions."))
    except PatronError as exc:
        messages.error(request, exc.detail)
    return redirect("console:assistant_learn")
