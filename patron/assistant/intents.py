"""Answers from the member's own data, asked before the knowledge base.

The registry only (asstchat's branch fills it with the order, points, tier and
coupon intents): ``ask()`` calls ``intent_answer`` first; an intent answers
with an ``IntentAnswer`` or ``None`` (not mine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import translation

from patron.core.models import Shop
from patron.members.models import Member


@dataclass(frozen=True)
class IntentQuestion:
    shop: Shop
    text: str
    language: str  # 'zh-hans' | 'en'
    member: Member | None


@dataclass(frozen=True)
class IntentAnswer:
    intent: str  # order | points | tier | coupons
    text: str
    link: str | None
    #: no member to read (signed out, or the API without a member id)
    sign_in_needed: bool = False
    #: refused: the question named data that is not the member's
    refused: bool = False

    @property
    def handoff_offered(self) -> bool:
        return self.sign_in_needed or self.refused


Intent = Callable[[IntentQuestion], IntentAnswer | None]
_intents: list[Intent] = []


def intent_register(intent: Intent) -> None:
    if intent not in _intents:
        _intents.append(intent)


def intents() -> list[Intent]:
    return list(_intents)


def intent_answer(question: IntentQuestion) -> IntentAnswer | None:
    """The first registered intent that answers, in the question's language."""
    with translation.override(question.language):
        for intent in _intents:
            answer = intent(question)
            if answer is not None:
                return answer
    return None
