"""The assistant in the portal chat: whether the shop uses it, and the turn
the page shows for one reply (the question, the answer, the candidates with
their answers so a button shows one without asking again)."""

from __future__ import annotations

from typing import Any

from patron.assistant.models import Entry, EntryState
from patron.assistant.services import Reply, answer_of
from patron.core.models import Shop


def assistant_in_use(shop: Shop | int) -> bool:
    """A shop answers with the assistant once it has a published knowledge
    base; until then the chat goes straight to the desk, as before."""
    shop_id = shop if isinstance(shop, int) else shop.pk
    return Entry.objects.filter(shop_id=shop_id, state=EntryState.PUBLISHED).exists()


def _answers(shop_id: int, keys: list[str], language: str) -> dict[str, str]:
    rows = Entry.objects.filter(shop_id=shop_id, key__in=keys, state=EntryState.PUBLISHED)
    return {e.key: answer_of(e, language) for e in rows}


def chat_turn(*, shop: Shop, question: str, reply: Reply, at: str) -> dict[str, Any]:
    """One question and the assistant's reply, as the chat page keeps it."""
    unsure = reply.outcome == "unsure"
    candidates: list[dict[str, Any]] = []
    if unsure:
        keys = [str(c["key"]) for c in reply.candidates[:2]]
        answers = _answers(shop.pk, keys, reply.language)
        candidates = [
            {
                "key": str(c["key"]),
                "question": str(c["question"]),
                "answer": answers.get(str(c["key"]), ""),
            }
            for c in reply.candidates[:2]
            if str(c["key"]) in answers
        ]
    return {
        "asked_id": reply.asked_id,
        "question": question,
        "outcome": reply.outcome,
        "text": reply.text,
        "link": reply.link,
        "candidates": candidates,
        "handoff_offered": reply.handoff_offered,
        "feedback": reply.outcome in ("answered", "member_data"),
        "unhelpful": False,
        "at": at,
    }
