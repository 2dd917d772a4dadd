"""The assistant's console pages: roles, audited edits, and the learning loop."""

from __future__ import annotations

from typing import Any

import pytest

from patron.assistant import services
from patron.assistant.faq import EntryDraft
from patron.assistant.models import Asked, Entry, Outcome, Phrasing
from patron.core import clock
from patron.core.models import AuditLog, Shop

pytestmark = pytest.mark.django_db

FORM = {
    "key": "gift-wrap",
    "category": "pre_sale",
    "question_zh": "可以礼品包装吗",
    "question_en": "Can you gift-wrap my order?",
    "answer_zh": "可以，结算时勾选礼品包装。",
    "answer_en": "Yes, tick gift wrap at checkout.",
    "phrasings_zh": "能包装成礼物吗\n送人的包装",
    "phrasings_en": "",
}


@pytest.fixture
def entry(shop: Shop) -> Entry:
    return services.entry_create(
        shop=shop,
        draft=EntryDraft(
            key="points-exchange",
            category="points",
            question_zh="积分怎么兑换礼品",
            question_en="How do I redeem points for gifts?",
            answer_zh="在积分商城兑换。",
            answer_en="In the rewards catalogue.",
        ),
        actor=None,
        state="published",
    )


@pytest.mark.parametrize(
    ("role", "list_", "new", "learn"),
    [
        ("admin", 200, 200, 200),
        ("marketing", 200, 200, 200),
        ("service_lead", 200, 200, 200),
        ("service_agent", 200, 403, 403),
        ("analyst", 200, 403, 200),
        ("finance", 403, 403, 403),
    ],
)
def test_who_sees_which_assistant_page(
    as_role: Any, entry: Entry, role: str, list_: int, new: int, learn: int
) -> None:
    client = as_role(role)
    assert client.get("/console/assistant/").status_code == list_
    assert client.get(f"/console/assistant/{entry.pk}/").status_code == list_
    assert client.get("/console/assistant/new/").status_code == new
    assert client.get("/console/assistant/learn/").status_code == learn


def test_an_operator_creates_an_entry_with_phrasings_and_it_is_audited(
    as_role: Any, shop: Shop
) -> None:
    response = as_role("marketing").post("/console/assistant/new/", FORM)

    assert response.status_code == 302
    created = Entry.objects.get(shop=shop, key="gift-wrap")
    assert created.state == "draft"
    assert sorted(created.phrasings.values_list("text", flat=True)) == [
        "能包装成礼物吗",
        "送人的包装",
    ]
    log = AuditLog.objects.get(action="assistant_entry.create")
    assert log.actor is not None and log.after is not None
    assert log.actor.username == "marketing" and log.after["question_zh"] == "可以礼品包装吗"


def test_a_bad_form_says_which_field_and_changes_nothing(as_role: Any, shop: Shop) -> None:
    response = as_role("marketing").post("/console/assistant/new/", {**FORM, "answer_en": ""})

    assert response.status_code == 422
    assert 'name="answer_en" rows="5" aria-invalid="true"' in response.content.decode()
    assert not Entry.objects.filter(key="gift-wrap").exists()
    assert not AuditLog.objects.filter(action__startswith="assistant").exists()


def test_edit_and_publish_are_audited_and_the_analyst_may_only_read(
    as_role: Any, entry: Entry
) -> None:
    url = f"/console/assistant/{entry.pk}/"
    edit = {**FORM, "key": "ignored", "phrasings_zh": "积分换东西"}

    assert as_role("analyst").post(url, edit).status_code == 403
    assert as_role("analyst").post(f"{url}state/", {"state": "draft"}).status_code == 403
    page = as_role("analyst").get(url).content.decode()
    assert "<fieldset disabled>" in page and "Unpublish" not in page

    assert as_role("service_lead").post(url, edit).status_code == 302
    assert as_role("service_lead").post(f"{url}state/", {"state": "draft"}).status_code == 302

    entry.refresh_from_db()
    assert (entry.key, entry.question_zh, entry.state) == (
        "points-exchange",
        "可以礼品包装吗",
        "draft",
    )
    assert list(entry.phrasings.values_list("text", flat=True)) == ["积分换东西"]
    update = AuditLog.objects.get(action="assistant_entry.update")
    assert update.before is not None and update.after is not None
    assert update.before["question_zh"] == "积分怎么兑换礼品"
    assert update.after["question_zh"] == "可以礼品包装吗"
    assert AuditLog.objects.get(action="assistant_entry.unpublish").after == {"state": "draft"}


def test_the_list_searches_questions_and_phrasings(as_role: Any, entry: Entry) -> None:
    client = as_role("analyst")
    assert (
        'data-testid="entry-points-exchange"'
        in client.get("/console/assistant/?q=兑换").content.decode()
    )
    assert (
        'data-testid="entry-points-exchange"'
        not in client.get("/console/assistant/?q=退货").content.decode()
    )


# -- the learning loop --------------------------------------------------------------


def _asked(shop: Shop, text: str, **kw: Any) -> Asked:
    return Asked.objects.create(
        shop=shop,
        text=text,
        language=kw.pop("language", "zh-hans"),
        outcome=kw.pop("outcome", Outcome.UNSURE),
        created_at=clock.now(),
        **kw,
    )


@pytest.fixture
def loop(shop: Shop, entry: Entry, fake_engine: Any) -> dict[str, Any]:
    similar = [
        _asked(shop, "积分怎么换礼品", candidates=[{"key": "points-exchange", "score": 0.4}]),
        _asked(shop, "积分怎样换礼品呢", outcome=Outcome.HANDED_OFF),
        _asked(shop, "积分 怎么换 礼品？？", outcome=Outcome.OUT_OF_SCOPE),
    ]
    lone = _asked(shop, "你们卖不卖手机", outcome=Outcome.OUT_OF_SCOPE)
    # answered and not marked unhelpful, or already resolved: not on the page
    _asked(shop, "积分怎么换礼品", outcome=Outcome.ANSWERED, entry=entry)
    _asked(shop, "积分怎么换礼品", resolved_at=clock.now())
    return {"similar": similar, "lone": lone}


def test_open_questions_are_grouped_biggest_first_with_the_entry_preselected(
    as_role: Any, loop: dict[str, Any], entry: Entry
) -> None:
    from patron.assistant.selectors import learn_groups

    groups = learn_groups(entry.shop_id)

    assert [sorted(g.ids) for g in groups] == [
        sorted(a.pk for a in loop["similar"]),
        [loop["lone"].pk],
    ]
    assert groups[0].suggested == "points-exchange"
    page = as_role("analyst").get("/console/assistant/learn/").content.decode()
    assert "group-1" in page and "Dismiss" not in page  # the analyst reads only
    page = as_role("marketing").get("/console/assistant/learn/").content.decode()
    assert f'<option value="{entry.pk}" selected>' in page


def test_add_as_phrasing_resolves_the_whole_group(
    as_role: Any, loop: dict[str, Any], entry: Entry
) -> None:
    ids = [a.pk for a in loop["similar"]]

    response = as_role("marketing").post(
        "/console/assistant/learn/act/", {"asked": ids, "entry": entry.pk, "action": "phrasing"}
    )

    assert response.status_code == 302
    assert set(entry.phrasings.filter(source="learned").values_list("text", flat=True)) == {
        "积分怎么换礼品",
        "积分怎样换礼品呢",
        "积分 怎么换 礼品？？",
    }
    assert all(
        a.resolved_at and a.resolved_entry == entry for a in Asked.objects.filter(pk__in=ids)
    )
    learned = AuditLog.objects.get(action="assistant_asked.learn").after
    assert learned is not None and learned["asked"] == sorted(ids)
    # a second click on the same (now resolved) group changes nothing
    as_role("marketing").post(
        "/console/assistant/learn/act/", {"asked": ids, "entry": entry.pk, "action": "phrasing"}
    )
    assert Phrasing.objects.filter(source="learned").count() == 3


def test_dismiss_resolves_without_an_entry_and_the_analyst_cannot(
    as_role: Any, loop: dict[str, Any]
) -> None:
    lone = loop["lone"]
    body = {"asked": [lone.pk], "action": "dismiss"}
    assert as_role("analyst").post("/console/assistant/learn/act/", body).status_code == 403
    assert as_role("service_lead").post("/console/assistant/learn/act/", body).status_code == 302
    lone.refresh_from_db()
    assert lone.resolved_at is not None and lone.resolved_entry is None
    assert AuditLog.objects.filter(action="assistant_asked.dismiss").count() == 1


def test_start_a_new_entry_from_a_group(as_role: Any, loop: dict[str, Any], shop: Shop) -> None:
    lone = loop["lone"]
    client = as_role("marketing")
    go = client.post("/console/assistant/learn/act/", {"asked": [lone.pk], "action": "new"})
    assert go.status_code == 302 and go.url.endswith(f"/console/assistant/new/?asked={lone.pk}")
    form = client.get(go.url).content.decode()
    assert 'value="你们卖不卖手机"' in form and 'data-testid="learned"' in form

    client.post("/console/assistant/new/", {**FORM, "key": "phones", "asked": [lone.pk]})

    created = Entry.objects.get(shop=shop, key="phones")
    lone.refresh_from_db()
    assert lone.resolved_entry == created
    assert created.phrasings.filter(text="你们卖不卖手机", source="learned").exists()
