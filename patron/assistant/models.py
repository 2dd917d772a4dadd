"""The assistant's state: the shop's knowledge base (entries, each with its
phrasings in zh-Hans and English) and the log of what members asked, which
feeds the learning loop in the console."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop
from patron.members.models import Member
from patron.service.models import Ticket


class Language(models.TextChoices):
    ZH = "zh-hans", "简体中文"
    EN = "en", "English"


class EntryState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class Entry(models.Model):
    """One question the shop answers, in both languages. ``key`` is the id
    of the FAQ file (``points-earn``), stable across reloads."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(max_length=64)
    category = models.CharField(max_length=32)
    state = models.CharField(max_length=12, choices=EntryState.choices, default=EntryState.DRAFT)
    question_zh = models.CharField(max_length=200, blank=True)
    question_en = models.CharField(max_length=200, blank=True)
    answer_zh = models.TextField(blank=True)
    answer_en = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop", "key"], name="assistant_entry_key"),
        ]
        indexes = [models.Index(fields=["shop", "state"], name="assistant_entry_state")]

    def __str__(self) -> str:
        return self.key


class PhrasingSource(models.TextChoices):
    FAQ = "faq", _("knowledge base file")
    OPERATOR = "operator", _("added by an operator")
    LEARNED = "learned", _("from a member's question")


class Phrasing(models.Model):
    """Another way members ask an entry's question (``also_asked``)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="phrasings")
    language = models.CharField(max_length=8, choices=Language.choices)
    text = models.CharField(max_length=200)
    source = models.CharField(
        max_length=12, choices=PhrasingSource.choices, default=PhrasingSource.FAQ
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["entry", "language", "text"], name="assistant_phrasing_once"
            ),
        ]


class Outcome(models.TextChoices):
    ANSWERED = "answered", _("answered")
    MEMBER_DATA = "member_data", _("answered from the member's data")
    UNSURE = "unsure", _("not sure: candidates offered")
    OUT_OF_SCOPE = "out_of_scope", _("out of scope: politely refused")
    HANDED_OFF = "handed_off", _("handed to a person")


class Asked(models.Model):
    """One question put to the assistant and what it did. Unsure, refused
    and handed-off questions, and answers marked "this did not help", are
    what the console's learning loop groups; ``resolved_at`` is set when an
    operator turned it into a phrasing or an entry (or dismissed it)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, default="portal")
    text = models.CharField(max_length=500)
    language = models.CharField(max_length=8, choices=Language.choices)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confidence = models.FloatField(default=0.0)
    #: [{"key": ..., "score": ...}, ...] best first, as shown
    candidates = models.JSONField(default=list, blank=True)
    helpful = models.BooleanField(null=True, blank=True)
    #: the service ticket a hand-off opened or continued
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_entry = models.ForeignKey(
        Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["shop", "resolved_at", "created_at"], name="assistant_asked_open"),
        ]
