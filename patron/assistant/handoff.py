"""Handing a member to a person: their message goes onto their chat ticket
(continued, or opened) and an internal note gives the agent the conversation
so far (the member's recent questions, what the assistant answered, the
candidates it offered), so the agent does not ask again. The questions in
the note are marked handed off, with the ticket."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from patron.assistant.models import Asked, Entry, Outcome
from patron.core import clock
from patron.members.models import Member
from patron.service import services as service_services
from patron.service.models import Ticket

#: how far back the transcript reaches, and how many questions it shows at most
TRANSCRIPT_WINDOW = dt.timedelta(hours=24)
TRANSCRIPT_QUESTIONS = 10

ASK_FOR_PERSON = re.compile(
    r"^\s*(请|請)?(帮我)?(转|轉)?(人工|人工客服|真人|客服)(服务|服務)?(吧|谢谢|謝謝)?\s*$"
    r"|^\s*(转|轉)人工"
    r"|\b(talk|speak|chat)\s+(to|with)\s+(a\s+)?(person|human|agent|someone|somebody)\b"
    r"|^\s*(a\s+)?(human|agent|person|real person)(\s+please)?\s*[.!]?\s*$",
    re.IGNORECASE,
)


def wants_person(text: str) -> bool:
    """转人工 / 人工 / human / agent / talk to a person ..."""
    return bool(ASK_FOR_PERSON.search(unicodedata.normalize("NFKC", text or "")))


def recent_questions(*, member: Member) -> list[Asked]:
    """The member's questions not yet handed off, in the transcript window,
    oldest first."""
    since = clock.now() - TRANSCRIPT_WINDOW
    rows = list(
        Asked.objects.filter(
            shop_id=member.shop_id, member=member, ticket__isnull=True, created_at__gte=since
        )
        .select_related("entry")
        .order_by("-created_at", "-pk")[:TRANSCRIPT_QUESTIONS]
    )
    rows.reverse()
    return rows


def _said(asked: Asked, questions: dict[str, str]) -> str:
    """What the assistant did with one question, for the agent."""
    if asked.outcome == Outcome.ANSWERED and asked.entry is not None:
        return _("answered with %(key)s") % {"key": asked.entry.key}
    if asked.outcome == Outcome.MEMBER_DATA:
        return _("answered from the member's own data")
    if asked.outcome == Outcome.OUT_OF_SCOPE:
        return _("refused: out of scope")
    keys = [str(c.get("key")) for c in asked.candidates or []]
    if keys:
        shown = ", ".join(f"{k} ({questions.get(k, '')})" for k in keys)
        return _("not sure; offered %(candidates)s") % {"candidates": shown}
    return _("not sure")


def transcript(asked: Sequence[Asked], *, language: str) -> str:
    """The note the agent reads: one line a question, with the time, the
    question, the confidence and what the assistant did."""
    keys = {str(c.get("key")) for a in asked for c in (a.candidates or [])}
    field = "question_en" if language == "en" else "question_zh"
    questions = dict(
        Entry.objects.filter(key__in=keys, shop_id__in={a.shop_id for a in asked}).values_list(
            "key", field
        )
    )
    with translation.override(language):
        lines = [_("The assistant handed this conversation over. What the member asked:")]
        for a in asked:
            at = timezone.localtime(a.created_at).strftime("%H:%M")
            lines.append(f"{at} · {a.text} · {a.confidence:.2f} · {_said(a, questions)}")
        if not asked:
            lines.append(_("(no questions before the request)"))
    return "\n".join(lines)


@transaction.atomic
def handoff_onto(*, ticket: Ticket, asked: Sequence[Asked], language: str) -> None:
    """The transcript note on ``ticket``, and ``asked`` marked handed off."""
    service_services.automated_note(
        ticket=ticket,
        body=transcript(asked, language=language),
        data={
            "assistant": {
                "asked": [a.pk for a in asked],
                "candidates": [c for a in asked for c in (a.candidates or [])],
            }
        },
    )
    Asked.objects.filter(pk__in=[a.pk for a in asked]).update(
        outcome=Outcome.HANDED_OFF, ticket=ticket
    )


@transaction.atomic
def handoff(
    *, member: Member, text: str = "", language: str = "zh-hans", message_id: str = ""
) -> Ticket:
    """The member asks for a person (转人工): their chat ticket is continued
    or opened with their message, and gets the transcript note. A bare
    request ("转人工") carries their last question instead, so the ticket
    says what it is about."""
    asked = recent_questions(member=member)
    body = (text or "").strip()
    if (not body or wants_person(body)) and asked:
        body = asked[-1].text
    if not body:
        with translation.override(language):
            body = _("I would like to talk to a person.")
    ticket = service_services.chat_member_writes(member=member, body=body, message_id=message_id)
    handoff_onto(ticket=ticket, asked=asked, language=language)
    return ticket
