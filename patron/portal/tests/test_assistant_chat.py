"""The assistant in the portal chat: a question gets the assistant's bubble,
an unsure one two candidate buttons with their answers, "this did not help"
is recorded, 转人工 hands over to the desk; bad input is a form error."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from patron.assistant.models import Asked, Entry, Outcome
from patron.assistant.tests.conftest import NOON, make_member
from patron.assistant.tests.conftest import kb as kb
from patron.core import clock
from patron.members.models import Member
from patron.service.models import EntryKind, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _noon() -> None:
    clock.freeze(NOON)


def _mid(client: Client) -> str:
    page = client.get("/service/chat/").content.decode()
    match = re.search(r'name="mid" value="([0-9a-f]+)"', page)
    assert match is not None
    return match.group(1)


def _say(client: Client, body: str, **extra: str) -> str:
    response = client.post("/service/chat/", {"body": body, "mid": _mid(client), **extra})
    assert response.status_code == 302, response.content[:300]
    return client.get("/service/chat/").content.decode()


def test_a_question_gets_the_assistants_answer_and_no_ticket(
    member_client: Client, member: Member, kb: list[Entry]
) -> None:
    page = _say(member_client, "积分怎么获得？")
    assert 'data-testid="assistant-reply" data-outcome="answered"' in page
    assert "每消费 1 元得 1 积分。" in page
    assert not Ticket.objects.exists()
    asked = Asked.objects.get()
    assert (asked.member, asked.channel, asked.outcome) == (member, "portal", Outcome.ANSWERED)


def test_an_unsure_question_offers_the_two_candidates_with_their_answers(
    member_client: Client, kb: list[Entry]
) -> None:
    page = _say(member_client, "积分怎么")
    assert page.count('data-testid="assistant-candidate"') == 2
    assert '<summary class="btn">积分怎么获得</summary>' in page
    assert "结算时可用积分抵现，100 积分抵 1 元。" in page  # inside the second button


def test_member_data_answers_with_the_figures_and_the_page(
    member_client: Client, kb: list[Entry]
) -> None:
    member_client.cookies["django_language"] = "en"
    page = _say(member_client, "how many points do I have")
    assert "You have 0 points to use and 0 pending." in page
    assert 'data-testid="assistant-link"' in page and 'href="/points/"' in page


def test_this_did_not_help_is_recorded_for_the_members_own_answer(
    member_client: Client, kb: list[Entry]
) -> None:
    _say(member_client, "积分怎么获得")
    asked = Asked.objects.get()
    page = _say(member_client, "", action="unhelpful", asked=str(asked.pk))
    asked.refresh_from_db()
    assert asked.helpful is False
    assert 'data-testid="assistant-unhelpful-noted"' in page


def test_a_forged_feedback_id_changes_nothing(
    member_client: Client, kb: list[Entry], member: Member
) -> None:
    from patron.assistant import services

    other = make_member(member.shop, "M200", "+8613800000002")
    theirs = services.ask(shop=other.shop, text="积分怎么获得", member=other)
    _say(member_client, "", action="unhelpful", asked=str(theirs.asked_id))
    assert Asked.objects.get(pk=theirs.asked_id).helpful is None


def test_typing_zhuan_rengong_hands_over_with_the_transcript(
    member_client: Client, member: Member, kb: list[Entry]
) -> None:
    _say(member_client, "积分怎么")
    _say(member_client, "转人工")
    ticket = Ticket.objects.get()
    assert (ticket.member, ticket.channel, ticket.subject) == (member, "chat", "积分怎么")
    note = ticket.entries.get(kind=EntryKind.NOTE)
    assert "积分怎么" in note.body and "points-earn" in note.body
    assert Asked.objects.get().outcome == Outcome.HANDED_OFF
    # A person is on it now: the next message goes to them, not the assistant.
    page = _say(member_client, "积分怎么获得")
    assert Asked.objects.count() == 1
    assert ticket.entries.filter(kind=EntryKind.MEMBER_MESSAGE).count() == 2
    assert "积分怎么获得" in page


def test_the_button_hands_over_without_a_message(member_client: Client, kb: list[Entry]) -> None:
    member_client.cookies["django_language"] = "en"
    _say(member_client, "", action="handoff")
    ticket = Ticket.objects.get()
    assert ticket.entries.get(kind=EntryKind.MEMBER_MESSAGE).body == (
        "I would like to talk to a person."
    )


@pytest.mark.parametrize("body", ["", "   ", "积" * 501, "abc\x00\x01\x02"])
def test_bad_questions_are_a_form_error_and_log_nothing(
    member_client: Client, kb: list[Entry], body: str
) -> None:
    response = member_client.post("/service/chat/", {"body": body, "mid": "x"})
    assert response.status_code == 422
    assert 'data-testid="chat-error"' in response.content.decode()
    assert not Asked.objects.exists() and not Ticket.objects.exists()


def test_the_chat_needs_a_signed_in_member(kb: list[Entry]) -> None:
    response = Client().post("/service/chat/", {"body": "积分怎么获得"})
    assert response.status_code == 302 and "/sign-in/" in response["Location"]
    assert not Asked.objects.exists()
