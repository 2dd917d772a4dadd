"""Shop API of the assistant (scope ``service``): the shop's own app asks a
question for a member (or for a visitor, without ``member``) and shows the
answer, the confidence, the next candidates and, when a person is offered,
the link to the member's chat in the portal."""

from __future__ import annotations

from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Schema
from pydantic import ConfigDict, Field

from patron.assistant import services
from patron.assistant.models import Asked
from patron.core.api import Answer, ApiKeyAuth, shop_for, with_idempotency
from patron.core.errors import ErrorCode, PatronError
from patron.core.models import ApiScope
from patron.core.validation import ExternalId, MultilineText
from patron.members import selectors as member_selectors
from patron.messaging.kinds import link

router = Router(tags=["assistant"])
SCOPE = ApiScope.SERVICE


class AskIn(Schema):
    model_config = ConfigDict(extra="forbid")
    text: Annotated[MultilineText, Field(max_length=10_000)] = Field(
        description="the member's question, at most 500 characters once trimmed"
    )
    member: ExternalId | None = Field(
        None, description="the member asking; without it the assistant answers a visitor"
    )
    language: Literal["zh-hans", "en"] | None = Field(
        None, description="the answer's language; detected from the question when absent"
    )


class CandidateOut(Schema):
    key: str
    question: str
    score: float


class AskOut(Schema):
    asked_id: int
    outcome: Literal["answered", "member_data", "unsure", "out_of_scope", "handed_off"]
    language: str
    answer: str
    entry: str | None = Field(description="the knowledge-base entry answered with")
    confidence: float = Field(description="0..1")
    candidates: list[CandidateOut] = Field(description="the next best entries, best first")
    link: str | None = Field(description="the portal page of a member-data answer")
    handoff_offered: bool
    handoff_url: str | None = Field(description="where the member talks to a person")


class FeedbackIn(Schema):
    model_config = ConfigDict(extra="forbid")
    member: ExternalId | None = None
    helpful: bool


@router.post(
    "/ask",
    response={200: AskOut},
    summary="Ask the assistant a question",
    auth=ApiKeyAuth(SCOPE),
)
def ask(request: HttpRequest, payload: AskIn) -> HttpResponse:
    """200 with the answer. An empty, over-long or unreadable question is a
    422 problem naming ``text``; an unknown member one naming ``member``."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        member = (
            member_selectors.member_get(shop=shop, external_id=payload.member)
            if payload.member
            else None
        )
        reply = services.ask(
            shop=shop, text=payload.text, member=member, language=payload.language, channel="api"
        )
        return 200, {
            "asked_id": reply.asked_id,
            "outcome": reply.outcome,
            "language": reply.language,
            "answer": reply.text,
            "entry": reply.entry_key,
            "confidence": reply.confidence,
            "candidates": reply.candidates,
            "link": link(reply.link) if reply.link else None,
            "handoff_offered": reply.handoff_offered,
            "handoff_url": link(reverse("portal:chat")) if reply.handoff_offered else None,
        }

    return with_idempotency(request, shop, handler)


class FeedbackOut(Schema):
    asked_id: int
    helpful: bool


@router.post(
    "/asked/{asked_id}/feedback",
    response={200: FeedbackOut},
    summary="Mark an answer as not helpful (or helpful)",
    auth=ApiKeyAuth(SCOPE),
)
def feedback(request: HttpRequest, asked_id: int, payload: FeedbackIn) -> HttpResponse:
    """``asked_id`` is the ``asked_id`` of the answer; ``member`` the member
    who asked (none for a visitor's question). Another shop's or another
    member's question is 404."""
    shop = shop_for(request, SCOPE)

    def handler() -> Answer:
        member = (
            member_selectors.member_get(shop=shop, external_id=payload.member)
            if payload.member
            else None
        )
        if not Asked.objects.filter(pk=asked_id, shop=shop).exists():
            raise PatronError(ErrorCode.NOT_FOUND, _("no such question"), field="asked_id")
        services.feedback(asked_id=asked_id, helpful=payload.helpful, member=member)
        return 200, {"asked_id": asked_id, "helpful": payload.helpful}

    return with_idempotency(request, shop, handler)
