"""Macros: an agent's canned reply with variables, and the actions that go
with it (set topic, add a tag, set status, set priority)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from patron.core.models import Shop


class Macro(models.Model):
    """A canned reply (or note) per shop. ``body`` is a sandboxed template
    (messaging's templating) over ``member``, ``ticket`` and ``agent``;
    ``actions`` a list of ``{"action": ..., "value": ...}`` applied with it."""

    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="service_macros")
    name = models.CharField(_("name"), max_length=100)
    body = models.TextField(_("text"), blank=True)
    public = models.BooleanField(
        _("public reply"), default=True, help_text=_("a reply the member sees; else a note")
    )
    actions = models.JSONField(_("actions"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("macro")
        verbose_name_plural = _("macros")
        constraints = [
            models.UniqueConstraint(fields=["shop", "name"], name="service_macro_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
